"""Sanitise a graded notebook before any browser shows it (the formgrader, nbviewer).

nbconvert's ``SanitizeHTML`` (bleach, an allow-list of tags and attributes) removes
scripts, event handlers, ``javascript:`` URLs, iframes and JavaScript outputs from every
code cell's outputs and every markdown or raw cell's source. The cells the release
locked (nbgrader restored their source from the gradebook) keep their source; their
outputs, made by the student's kernel, are sanitised like every other.
"""

from nbconvert.preprocessors.sanitize import SanitizeHTML


class SanitizeSubmission(SanitizeHTML):
    def preprocess_cell(self, cell, resources, cell_index):
        locked = (cell.get("metadata", {}).get("nbgrader") or {}).get("locked")
        if cell.cell_type == "code":
            cell.outputs = self.sanitize_code_outputs(cell.outputs)
        elif not locked:
            cell.source = self.sanitize_html_tags(cell.source)
        return cell, resources
