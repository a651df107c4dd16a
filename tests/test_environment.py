"""pyproject.toml and environment.yml list the same packages with the same ranges."""

import tomllib

import pytest
import yaml
from packaging.requirements import Requirement

from helpers import REPO

# conda-forge spells a few packages differently from PyPI
CONDA_TO_PYPI = {}


def _req_key(text: str):
    req = Requirement(text)
    name = req.name.lower().replace("_", "-")
    return name, str(req.specifier), str(req.marker) if req.marker else ""


def pyproject_requirements(text: str) -> set:
    data = tomllib.loads(text)
    reqs = list(data["project"]["dependencies"])
    reqs += data["project"]["optional-dependencies"]["dev"]
    reqs += data["project"]["optional-dependencies"]["cpu"]  # what conda users get
    return {_req_key(r) for r in reqs}


def conda_requirements(text: str) -> set:
    data = yaml.safe_load(text)
    found = set()
    for dep in data["dependencies"]:
        if isinstance(dep, dict):  # the pip: section
            found |= {_req_key(r) for r in dep["pip"] if not r.startswith("-")}
        elif dep.split(">")[0].split("<")[0].split("=")[0] in ("python", "pip"):
            continue
        else:
            name, spec = _split_conda(dep)
            found.add(_req_key(CONDA_TO_PYPI.get(name, name) + spec))
    return found


def _split_conda(dep: str):
    for i, ch in enumerate(dep):
        if ch in "<>=!~ ":
            return dep[:i], dep[i:].replace(" ", "")
    return dep, ""


def disagreements(pyproject_text: str, conda_text: str) -> list[str]:
    py, conda = pyproject_requirements(pyproject_text), conda_requirements(conda_text)
    return [f"only in pyproject.toml: {r}" for r in sorted(py - conda)] + [
        f"only in environment.yml: {r}" for r in sorted(conda - py)
    ]


def test_pyproject_and_environment_yml_agree():
    problems = disagreements(
        (REPO / "pyproject.toml").read_text(), (REPO / "environment.yml").read_text()
    )
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize(
    "old, new",
    [
        ("numpy>=1.26,<3", "numpy>=1.26,<2"),  # a range changed on one side only
        ("  - scikit-image>=0.23,<0.27\n", ""),  # a package missing on one side
        ("nbgrader==0.9.6", "nbgrader==0.9.5"),  # a pin in the pip section
    ],
)
def test_a_disagreement_is_reported(old, new):
    conda = (REPO / "environment.yml").read_text()
    assert old in conda
    assert disagreements((REPO / "pyproject.toml").read_text(), conda.replace(old, new))


def test_python_range_agrees():
    data = tomllib.loads((REPO / "pyproject.toml").read_text())
    conda = yaml.safe_load((REPO / "environment.yml").read_text())
    python = [d for d in conda["dependencies"] if isinstance(d, str) and d.startswith("python")]
    assert python == ["python" + data["project"]["requires-python"]]
