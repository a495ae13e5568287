"""The README's example runs as written and prints what the README says."""

import contextlib
import io
import re
from pathlib import Path

from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from mlfound.metrics import total_cost

README = Path(__file__).parents[1] / "README.md"


def test_readme_example_runs_and_beats_the_default_threshold():
    text = README.read_text()
    blocks = re.findall(r"```python\n(.*?)```", text, flags=re.DOTALL)
    assert len(blocks) == 1
    out, ns = io.StringIO(), {}
    with contextlib.redirect_stdout(out):
        exec(compile(blocks[0], str(README), "exec"), ns)
    threshold, cost = out.getvalue().split()
    assert 0.005 < float(threshold) < 0.1

    # The figures quoted under the example are the ones it produces.
    claimed = re.search(r"test cost is ([\d,]+) against ([\d,]+)", text)
    tuned, default = (float(g.replace(",", "")) for g in claimed.groups())
    naive = make_pipeline(StandardScaler(), LogisticRegression())
    naive.fit(ns["X_train"], ns["y_train"])
    default_cost = total_cost(
        ns["y_test"], naive.predict(ns["X_test"]), cost_matrix=ns["cost"]
    )
    assert float(cost) == tuned
    assert default_cost == default
    assert tuned < default
