"""Domain objects, the SQLite store and the rules of PlanDesk. Never imports Qt."""
