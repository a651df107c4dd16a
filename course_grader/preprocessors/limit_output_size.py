"""Cap what a graded notebook keeps of each output, by size, and say what was cut."""

from nbgrader.preprocessors import NbGraderPreprocessor
from traitlets import Integer


class LimitOutputSize(NbGraderPreprocessor):
    """Cap what a graded notebook keeps of each output, by size: nbgrader's
    ``LimitOutput`` counts lines, and 100 MB printed on one line, or a 50 MB image, would
    otherwise land in the autograded notebook, the feedback and the instructor's disk.

    A text output keeps its first ``max_chars`` characters and says how much was cut;
    an image or other rich output over ``max_bytes`` is replaced by a line saying so.
    Either way the cell's ``metadata.course.dropped`` lists what went, for the ledger and
    the feedback page.
    """

    max_chars = Integer(100_000, help="characters of text kept per output").tag(config=True)
    max_bytes = Integer(2_000_000, help="bytes of a rich output (an image) kept").tag(config=True)

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type != "code":
            return cell, resources
        dropped = []
        for out in cell.outputs:
            text = out.get("text")
            if isinstance(text, str) and len(text) > self.max_chars:
                cut = len(text) - self.max_chars
                out.text = text[: self.max_chars] + f"\n[... {cut:,} more characters cut]\n"
                dropped.append(f"{cut:,} characters of printed text")
            data = out.get("data")
            if data:
                size = sum(len(v) if isinstance(v, str) else len(str(v)) for v in data.values())
                if size > self.max_bytes:
                    out.data = {
                        "text/plain": f"[an output of {size:,} bytes ({', '.join(data)}) "
                        f"was not kept: the grader keeps outputs up to {self.max_bytes:,}]"
                    }
                    out.metadata = {}
                    dropped.append(f"an output of {size:,} bytes ({', '.join(data)})")
        if dropped:
            cell.metadata.setdefault("course", {})["dropped"] = dropped
        return cell, resources
