"""Sanitise a graded notebook before any browser shows it (the formgrader, nbviewer).

nbconvert's ``SanitizeHTML`` (bleach, an allow-list of tags and attributes) removes
scripts, event handlers, ``javascript:`` URLs, iframes and JavaScript outputs from every
code cell's outputs and every markdown or raw cell's source. The cells the release
locked (nbgrader restored their source from the gradebook) keep their source; their
outputs, made by the student's kernel, are sanitised like every other.

Disallowed tags are removed with their attributes (``strip``), not escaped: an escaped
``onerror="..."`` is harmless, but a reader should not have to tell the two apart.
"""

from nbconvert.preprocessors.sanitize import SanitizeHTML
from traitlets import Bool


class SanitizeSubmission(SanitizeHTML):
    # nbconvert's preprocessors run only when enabled; this one must always run
    enabled = Bool(True).tag(config=True)
    strip = Bool(True).tag(config=True)

    def preprocess_cell(self, cell, resources, cell_index):
        locked = (cell.get("metadata", {}).get("nbgrader") or {}).get("locked")
        if cell.cell_type == "code":
            cell.outputs = self.sanitize_code_outputs(cell.outputs)
        elif not locked:
            cell.source = self.sanitize_html_tags(cell.source)
        return cell, resources
