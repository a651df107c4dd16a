"""Decide graded cells by their errors, not by TensorFlow's stderr noise."""

from nbgrader.preprocessors import NbGraderPreprocessor


class ForgiveStderr(NbGraderPreprocessor):
    """Decide graded cells by their errors, not by TensorFlow's stderr noise.

    nbgrader scores a test cell 0 when it printed anything to stderr, even when every
    assertion passed. Here a stderr stream is removed from a code cell that raised no
    error; its text is kept in ``cell.metadata["course"]["stderr"]`` so nothing is lost.
    A cell that raised keeps everything and still scores 0.
    """

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code":
            return cell, resources
        if any(out.output_type == "error" for out in cell.outputs):
            return cell, resources
        kept, removed = [], []
        for out in cell.outputs:
            if out.output_type == "stream" and out.name == "stderr":
                removed.append(out.text)
            else:
                kept.append(out)
        if removed:
            cell.outputs = kept
            cell.metadata.setdefault("course", {})["stderr"] = "".join(removed)
        return cell, resources
