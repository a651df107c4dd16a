"""The class's JupyterHub (``make hub``): on localhost, real local users, nbgrader's
exchange, graded on submission.

- Students log in with their local account (PAM) and get the course's JupyterLab as
  themselves: the students' environment in ``$COURSE_HUB_SHARED/venv`` (a Python every
  user can run, with the student bundle installed: course_utils, the data, never the
  solutions), the student's settings (``jupyter/student/``: no instructor panels) and
  nbgrader's Assignments tab on the exchange.
- The instructor(s) open the formgrader, a hub service at ``/services/formgrader/``,
  running in the course directory (the gradebook, the sources) as the hub's user.
- ``course watch``, another service, grades each submission as it arrives and
  releases its feedback; the hub restarts it if it stops.

Everything is set by environment variables (``make hub`` sets them):
``COURSE_HUB_SHARED`` (the students' side, readable by all: venv/, course/, exchange/,
config/), ``COURSE_HUB_COURSE`` (the course directory, default this repository),
``COURSE_HUB_STATE`` (the hub's own database, cookie secret and proxy, default
``<course>/build/hub``), ``COURSE_HUB_PORT`` (8000), ``COURSE_HUB_API_PORT`` (the hub's
internal port, 8081), ``COURSE_HUB_FORMGRADER_PORT`` (9999), ``COURSE_HUB_STUDENTS``
and ``COURSE_HUB_INSTRUCTORS`` (user names, space separated), ``COURSE_EXCHANGE``
(default ``<shared>/exchange``), ``COURSE_HUB_WATCH_ARGS`` (extra ``course watch``
options, e.g. ``--scheduler tcp://...``).
"""

import os
import secrets
import sys
from pathlib import Path

c = get_config()  # noqa: F821 - JupyterHub's config loader defines it

REPO = Path(__file__).resolve().parents[2]
COURSE = Path(os.environ.get("COURSE_HUB_COURSE", REPO)).resolve()
SHARED = Path(os.environ.get("COURSE_HUB_SHARED", "/srv/cnn-case-studies"))
STATE = Path(os.environ.get("COURSE_HUB_STATE", COURSE / "build" / "hub"))
EXCHANGE = Path(os.environ.get("COURSE_EXCHANGE", SHARED / "exchange"))
PORT = int(os.environ.get("COURSE_HUB_PORT", "8000"))
API_PORT = int(os.environ.get("COURSE_HUB_API_PORT", "8081"))
FORMGRADER_PORT = int(os.environ.get("COURSE_HUB_FORMGRADER_PORT", "9999"))
STUDENTS = set(os.environ.get("COURSE_HUB_STUDENTS", "").split())
INSTRUCTORS = set(os.environ.get("COURSE_HUB_INSTRUCTORS", "instructor").split())
BIN = Path(sys.executable).parent  # the instructor's environment (.venv): hub, course

for path, what in [
    (SHARED / "venv" / "bin" / "jupyterhub-singleuser", "the students' environment"),
    (REPO / "build" / "hub" / "node_modules" / ".bin" / "configurable-http-proxy", "the proxy"),
]:
    if not path.exists():
        sys.exit(f"no {path} ({what}): run 'make hub-env' first")

STATE.mkdir(parents=True, exist_ok=True)
os.chmod(STATE, 0o700)
# the exchange as nbgrader's documentation makes it: everyone may add under it
EXCHANGE.mkdir(parents=True, exist_ok=True)
os.chmod(EXCHANGE, 0o777)
# what every student's nbgrader reads: the exchange and the course
config = SHARED / "config"
config.mkdir(parents=True, exist_ok=True)
os.chmod(config, 0o755)
(config / "nbgrader_config.py").write_text(
    "c = get_config()  # noqa: F821\n"
    f"c.Exchange.root = {str(EXCHANGE)!r}\n"
    "c.CourseDirectory.course_id = 'cnn-case-studies'\n"
)
os.chmod(config / "nbgrader_config.py", 0o644)

# --------------------------------------------------------------------------- the hub
c.JupyterHub.bind_url = f"http://127.0.0.1:{PORT}"
c.JupyterHub.hub_ip = "127.0.0.1"
c.JupyterHub.hub_port = API_PORT
c.JupyterHub.db_url = f"sqlite:///{STATE / 'jupyterhub.sqlite'}"
c.JupyterHub.cookie_secret_file = str(STATE / "jupyterhub_cookie_secret")  # mode 600
c.JupyterHub.pid_file = str(STATE / "jupyterhub.pid")
c.ConfigurableHTTPProxy.command = [
    str(REPO / "build" / "hub" / "node_modules" / ".bin" / "configurable-http-proxy")
]
c.ConfigurableHTTPProxy.pid_file = str(STATE / "proxy.pid")
c.ConfigurableHTTPProxy.api_url = f"http://127.0.0.1:{PORT + 1}"
# one token across restarts, so that a restarted hub takes over the running proxy
token_file = STATE / "proxy_auth_token"
if not token_file.is_file():
    token_file.touch(mode=0o600)
    token_file.write_text(secrets.token_hex(32))
c.ConfigurableHTTPProxy.auth_token = token_file.read_text().strip()
c.JupyterHub.cleanup_servers = False  # a hub restart leaves the students' servers running
c.JupyterHub.cleanup_proxy = False

c.JupyterHub.authenticator_class = "pam"
c.Authenticator.allowed_users = STUDENTS | INSTRUCTORS
c.Authenticator.admin_users = INSTRUCTORS

# --------------------------------------------------------------------------- students
c.Spawner.cmd = [str(SHARED / "venv" / "bin" / "jupyterhub-singleuser")]
c.Spawner.default_url = "/lab"
c.Spawner.notebook_dir = "~"
c.Spawner.start_timeout = 120
c.Spawner.http_timeout = 120
c.Spawner.environment = {
    # nbgrader's exchange first, then the student's JupyterLab settings (the bundle's)
    "JUPYTER_CONFIG_PATH": f"{config}:{SHARED / 'course' / 'jupyter' / 'student'}",
    "TF_CPP_MIN_LOG_LEVEL": "2",
}

# --------------------------------------------------------------------------- instructors
service_env = {
    "PATH": f"{BIN}:{os.environ.get('PATH', '/usr/bin:/bin')}",
    "HOME": os.environ.get("HOME", "/root"),
    "LANG": os.environ.get("LANG", "C.UTF-8"),
    "COURSE_EXCHANGE": str(EXCHANGE),
    "TF_CPP_MIN_LOG_LEVEL": "2",
}
for name in ("COURSE_BUDGET", "COURSE_REQUIRE_SANDBOX"):
    if name in os.environ:
        service_env[name] = os.environ[name]
c.JupyterHub.services = [
    {
        "name": "formgrader",
        "url": f"http://127.0.0.1:{FORMGRADER_PORT}",
        "command": [
            str(BIN / "jupyterhub-singleuser"),
            f"--ServerApp.root_dir={COURSE}",
            "--allow-root",
            "--LabApp.news_url=None",
            "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
        ],
        "cwd": str(COURSE),
        "environment": service_env,
        "oauth_no_confirm": True,
    },
    {
        "name": "course-watch",  # graded on submission
        "command": [
            str(BIN / "course"),
            "watch",
            "--exchange",
            str(EXCHANGE),
            *os.environ.get("COURSE_HUB_WATCH_ARGS", "").split(),
        ],
        "cwd": str(COURSE),
        "environment": service_env,
    },
]
c.JupyterHub.load_roles = [
    {
        "name": "instructor",
        "users": sorted(INSTRUCTORS),
        "scopes": ["access:services!service=formgrader", "admin-ui", "list:users"],
    },
]
