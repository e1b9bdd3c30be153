"""PDF reports and charts built with ReportLab and matplotlib. Never imports Qt widgets."""
