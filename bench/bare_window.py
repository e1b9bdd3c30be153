"""Baseline: a bare PySide6 QMainWindow that shows and quits, nothing else."""

import sys

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QApplication, QMainWindow

app = QApplication(sys.argv[:1])
window = QMainWindow()
window.setWindowTitle("bare")
window.show()
QTimer.singleShot(0, window.close)
app.exec()
