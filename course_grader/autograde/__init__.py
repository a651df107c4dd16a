"""``course autograde``: a batch of submissions graded in parallel, on local processes or
a Dask cluster.

nbgrader grades one submission at a time, all in one process writing one gradebook
(its issue #174). Here each submission is one *task* (:mod:`.tasks`) that runs the
unchanged ``nbgrader autograde`` in a private temporary course of its own
(:mod:`.worker`, its nbgrader process forked from a fork server,
:mod:`.nbgrader_process`), and only the process that started the batch writes results
(:mod:`.ledger`). Tasks run on a local pool or a Dask scheduler (:mod:`.backends`);
:mod:`.batch` decides what is new or changed and reports.

Example::

    report = autograde_batch(root, Options(jobs=2))
    print(report.table())
"""

from .backends import Interrupted
from .batch import BatchReport, Options, autograde_batch
from .ledger import LEDGER, read_ledger
from .tasks import Submission, find_submissions
from .worker import isolation_here

__all__ = [
    "LEDGER",
    "BatchReport",
    "Interrupted",
    "Options",
    "Submission",
    "autograde_batch",
    "find_submissions",
    "isolation_here",
    "read_ledger",
]
