"""Cap what a graded notebook keeps of each output, by size."""

from nbgrader.preprocessors import NbGraderPreprocessor


class LimitOutputSize(NbGraderPreprocessor):
    """Cap what a graded notebook keeps of each output, by size: nbgrader's
    ``LimitOutput`` counts lines, and 100 MB printed on one line, or a 50 MB image, would
    otherwise land in the autograded notebook, the feedback and the instructor's disk.

    A text output keeps its first ``max_chars`` characters and says how much was cut;
    an image or other rich output over ``max_bytes`` is replaced by a line saying so.
    """

    max_chars = 100_000
    max_bytes = 2_000_000

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code":
            return cell, resources
        for out in cell.outputs:
            text = out.get("text")
            if isinstance(text, str) and len(text) > self.max_chars:
                cut = len(text) - self.max_chars
                out.text = text[: self.max_chars] + f"\n[... {cut:,} more characters cut]\n"
            data = out.get("data")
            if data:
                size = sum(len(v) if isinstance(v, str) else len(str(v)) for v in data.values())
                if size > self.max_bytes:
                    out.data = {
                        "text/plain": f"[an output of {size:,} bytes ({', '.join(data)}) "
                        f"was not kept: the grader keeps outputs up to {self.max_bytes:,}]"
                    }
                    out.metadata = {}
        return cell, resources
