# One-command set-up for the course. Every target creates .venv (Python >= 3.11) and
# installs the pinned environment first. TF=gpu installs TensorFlow with CUDA instead of
# the CPU-only wheel (in a fresh .venv: the two cannot share one, see README).

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PY     := $(BIN)/python
STAMP  := $(VENV)/.installed
SOURCES := $(wildcard notebooks/*/*.ipynb)
PORT   ?= 8888
LAB_ARGS ?=
PYTEST_ARGS ?=
TEST_WORKERS ?= 2
TF     ?= cpu
JOBS   ?= $(shell nproc 2>/dev/null || echo 2)
DEMO   := build/demo
COURSE := $(abspath $(BIN))/course
# Jupyter refuses to run as root (containers, CI) without this flag.
ROOT_FLAG := $(if $(filter 0,$(shell id -u)),--allow-root)
# The student's JupyterLab: no instructor panels, no news prompt (jupyter/student/).
STUDENT_LAB := JUPYTER_CONFIG_PATH=$(CURDIR)/jupyter/student

# make hub: the students' side lives in HUB_SHARED, which every user can read (their
# Python, the course's student bundle, the exchange); the hub's own state, which only
# root reads, in build/hub/. HUB_PYTHON: an interpreter every user may run.
HUB_SHARED ?= /srv/cnn-case-studies
HUB_PYTHON ?= /usr/bin/python3
HUB_PORT   ?= 8000
HUB_PIN    := $(shell grep -o '"jupyterhub==[^"]*"' pyproject.toml | tr -d '"')
CHP_PIN    := configurable-http-proxy@5.3.0
CHP        := build/hub/node_modules/.bin/configurable-http-proxy
STUDENTS   ?= student1 student2 student3
INSTRUCTOR ?= instructor

.PHONY: help env clean-env lab author release test browser lint bench grade clean \
  hub hub-env hub-users

help:
	@echo "make env      create .venv and install everything (the other targets do it too)"
	@echo "make lab      open the student's JupyterLab on copies of the releases (build/student/)"
	@echo "make author   open JupyterLab on the source notebooks (solutions inside)"
	@echo "make test     run the whole test suite (units, notebooks, grader round trips)"
	@echo "make browser  only the browser tests (JupyterLab, Validate, formgrader in Chromium)"
	@echo "make release  generate the student notebooks into build/release/"
	@echo "make lint     ruff check + format check (notebooks included) + the import contract"
	@echo "make grade    the grading flow on example submissions, in build/demo/"
	@echo "make hub      a JupyterHub for the class on localhost:$(HUB_PORT) (see README)"
	@echo "make hub-users  create the local users STUDENTS and INSTRUCTOR (as root)"
	@echo "make bench    run every benchmark in benchmarks/ and print its figures"
	@echo "make clean    remove build/ (keeps .venv)"
	@echo "make clean-env  remove .venv/ (then: make env TF=gpu for TensorFlow with CUDA)"

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "Python >= 3.11 is needed (found $$($(PYTHON) --version)); run: make PYTHON=python3.12 ..."; exit 1; }
	@case "$(TF)" in cpu|gpu) ;; *) echo "TF must be cpu or gpu, not '$(TF)'"; exit 1;; esac
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e ".[dev,$(TF)]"
	@# The notebooks name the standard "python3" kernel; this one is the venv's Python,
	@# with TensorFlow's C++ start-up log quieted.
	$(PY) -m ipykernel install --sys-prefix --name python3 \
	  --display-name "Python 3 (course)" --env TF_CPP_MIN_LOG_LEVEL 2
	$(BIN)/jupyter labextension enable --level=sys_prefix @jupyter/nbgrader >/dev/null
	touch $(STAMP)

env: $(STAMP)

build/release/.stamp: $(STAMP) $(SOURCES)
	$(BIN)/course release
	@mkdir -p build/release && touch $@

release: $(STAMP)
	$(BIN)/course release

lab: build/release/.stamp
	$(BIN)/course workspace build/student
	$(STUDENT_LAB) $(BIN)/jupyter lab --ServerApp.root_dir=build/student --port=$(PORT) \
	  $(ROOT_FLAG) $(LAB_ARGS)

author: $(STAMP)
	$(BIN)/jupyter lab --port=$(PORT) $(ROOT_FLAG) $(LAB_ARGS)

# on TEST_WORKERS pytest-xdist workers (0: in this process), each running a file's
# tests, or an assignment's grading, as one group (conftest.py); memory, not cores, caps
# them: two workers peak at about 15 GB (README)
test: $(STAMP)
	COURSE_BUDGET=quick $(PY) -m pytest --nbval-lax --nbval-current-env \
	  -n $(TEST_WORKERS) $(PYTEST_ARGS)

# the browser suite alone; screenshots of every step in build/browser/
browser: $(STAMP)
	COURSE_BUDGET=quick $(PY) -m pytest tests/test_browser.py $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# The instructor's flow on the shipped example submissions (examples/submissions/), in a
# course of its own (build/demo/), so the real gradebook never sees the demo students.
grade: $(STAMP)
	@start=$$(date +%s); set -e; \
	rm -rf $(DEMO); mkdir -p $(DEMO)/notebooks; \
	cp -r notebooks/classic_networks $(DEMO)/notebooks/; \
	$(PY) -c "from course_grader.course import write_config; write_config('$(DEMO)', 'notebooks')"; \
	cd $(DEMO); \
	$(COURSE) release classic_networks; \
	$(COURSE) collect $(CURDIR)/examples/submissions/classic_networks.zip; \
	$(COURSE) autograde --jobs $(JOBS); \
	$(COURSE) feedback; \
	$(COURSE) export; \
	$(COURSE) report; \
	echo "make grade took $$(( $$(date +%s) - start )) s; open $(DEMO)/build/feedback/<student>/index.html"

# --------------------------------------------------------------------------- the hub
$(CHP):
	@command -v npm >/dev/null || { echo "make hub needs Node.js and npm (Debian: apt-get install npm)"; exit 1; }
	mkdir -p build/hub
	npm install --silent --no-audit --no-fund --prefix build/hub $(CHP_PIN)

# the students' environment: the student bundle (released notebooks, course_utils, data;
# never the solutions or the grader) and a venv of HUB_PYTHON with it installed
$(HUB_SHARED)/venv/.installed: $(STAMP) pyproject.toml
	@$(HUB_PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11))' || \
	  { echo "HUB_PYTHON=$(HUB_PYTHON) must be a Python >= 3.11 every user can run"; exit 1; }
	mkdir -p $(HUB_SHARED)
	$(BIN)/course release --bundle $(HUB_SHARED)/course --force
	test -x $(HUB_SHARED)/venv/bin/python || $(HUB_PYTHON) -m venv $(HUB_SHARED)/venv
	$(HUB_SHARED)/venv/bin/python -m pip install --quiet --upgrade pip
	$(HUB_SHARED)/venv/bin/python -m pip install --quiet -e "$(HUB_SHARED)/course[$(TF)]" "$(HUB_PIN)"
	$(HUB_SHARED)/venv/bin/python -m ipykernel install --sys-prefix --name python3 \
	  --display-name "Python 3 (course)" --env TF_CPP_MIN_LOG_LEVEL 2
	$(HUB_SHARED)/venv/bin/jupyter labextension enable --level=sys_prefix @jupyter/nbgrader >/dev/null
	chmod -R a+rX $(HUB_SHARED)
	touch $@

hub-env: $(CHP) $(HUB_SHARED)/venv/.installed

# real local users (run as root): a home of their own that nobody else can read
hub-users:
	@for u in $(INSTRUCTOR) $(STUDENTS); do \
	  id -u $$u >/dev/null 2>&1 || useradd --create-home --shell /bin/bash $$u; \
	  chmod 700 $$(getent passwd $$u | cut -d: -f6); \
	  echo "user $$u: set a password with: passwd $$u"; done

hub: hub-env
	@# the course directory holds the solutions and every student's work: no student may read it
	@if [ -n "$$(find $(CURDIR) -maxdepth 0 -perm /o=rwx)" ]; then chmod o-rwx $(CURDIR); \
	  echo "made $(CURDIR) unreadable to other users: students must not read the solutions"; fi
	COURSE_HUB_SHARED=$(HUB_SHARED) COURSE_HUB_PORT=$(HUB_PORT) \
	  COURSE_HUB_STUDENTS="$(STUDENTS)" COURSE_HUB_INSTRUCTORS="$(INSTRUCTOR)" \
	  $(BIN)/jupyterhub -f jupyter/hub/jupyterhub_config.py

bench: $(STAMP)
	@set -e; for b in benchmarks/[!_]*.py; do \
	  case $$b in *peak_memory.py|*kernel_cpu_by_cell.py|*full_run.py) continue;; esac; echo "== $$b"; $(PY) $$b; done

clean:
	rm -rf build

# TensorFlow's cpu and gpu wheels cannot share one environment: start a fresh one
clean-env:
	rm -rf $(VENV)
