"""The Qt binding must not leak or drop references to None, True and False.

PySide6 6.12.0 on Python 3.11 dropped one reference to None on every call of a method that
returns nothing; after enough calls a long session aborts with "none_dealloc". This runs the
calls the pages make most in a fresh interpreter and checks the counts do not drift.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

PROBE = """
import gc, json, sys
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QApplication, QLabel, QPushButton
app = QApplication([])
button, label, action = QPushButton(), QLabel(), QAction("x")
calls = [lambda: button.setEnabled(True), lambda: button.setToolTip("a"),
         lambda: label.setText("a"), lambda: label.setVisible(False),
         lambda: action.setEnabled(False), lambda: button.blockSignals(False)]
gc.collect()
before = [sys.getrefcount(x) for x in (None, True, False)]
for call in calls:
    for _ in range(500):
        call()
gc.collect()
after = [sys.getrefcount(x) for x in (None, True, False)]
print(json.dumps([a - b for a, b in zip(after, before)]))
"""


def test_qt_calls_keep_the_reference_counts_of_none_true_and_false() -> None:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True,
                          env=env, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    drift = json.loads(done.stdout.strip().splitlines()[-1])
    # 3,000 calls: a binding that drops a reference per call drifts by thousands.
    assert all(abs(d) < 50 for d in drift), f"None/True/False reference drift: {drift}"
