"""PlanDesk 规划实施监测评估系统: offline monitoring and assessment of five-year plans."""

__version__ = "0.2.0"
APP_NAME = "PlanDesk"
APP_TITLE = "规划实施监测评估系统"
