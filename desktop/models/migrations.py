"""Numbered schema migrations of the PlanDesk database; never edit one after release."""

from __future__ import annotations

from sqlite_utils import Database
from sqlite_utils.migrations import Migrations

#: ``PRAGMA application_id`` of every PlanDesk database ("PlDk").
APPLICATION_ID = 0x506C446B

MIGRATION_SET = "plandesk"

migrations = Migrations(MIGRATION_SET)


@migrations(name="0001_initial")
def m0001_initial(db: Database) -> None:
    """The plan data model: plans, units, outline, indicators, values, workflow, users, audit."""
    db.executescript(_SCHEMA_0001)


@migrations(name="0002_plan_content")
def m0002_plan_content(db: Database) -> None:
    """Plan content: indicator origins and duplicates, responsible units, unit attributes."""
    db.executescript(_SCHEMA_0002)


@migrations(name="0003_reporting_cycle")
def m0003_reporting_cycle(db: Database) -> None:
    """The reporting cycle: versions, review comments, windows, evidence, audit sources."""
    db.executescript(_SCHEMA_0003)


@migrations(name="0004_evaluation")
def m0004_evaluation(db: Database) -> None:
    """Evaluation: how an element adds up over time, and reviewers' judgements of indicators."""
    db.executescript(_SCHEMA_0004)


@migrations(name="0005_assessment")
def m0005_assessment(db: Database) -> None:
    """Assessment schemes per year, their items and the units' self and reviewed scores."""
    db.executescript(_SCHEMA_0005)


def migration_names() -> list[str]:
    """Names of every migration this PlanDesk knows, in order."""
    return [m.name for m in migrations._migrations]


_SCHEMA_0001 = """
CREATE TABLE setting (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL
);

CREATE TABLE org_unit (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    short_name TEXT NOT NULL DEFAULT '',
    unit_type TEXT NOT NULL CHECK (unit_type IN (
        'city', 'district_bureau', 'division', 'station', 'township',
        'outside_department', 'county')),
    parent_id INTEGER REFERENCES org_unit(id) ON DELETE RESTRICT,
    sort_order INTEGER NOT NULL DEFAULT 0,
    opened_on TEXT,
    closed_on TEXT,
    note TEXT NOT NULL DEFAULT ''
);
CREATE INDEX org_unit_parent ON org_unit(parent_id);

-- A station (所) serves one or more townships/streets (镇街); they are distinct units.
CREATE TABLE station_township (
    station_id INTEGER NOT NULL REFERENCES org_unit(id) ON DELETE CASCADE,
    township_id INTEGER NOT NULL REFERENCES org_unit(id) ON DELETE CASCADE,
    PRIMARY KEY (station_id, township_id)
);

CREATE TABLE plan (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    short_title TEXT NOT NULL DEFAULT '',
    issuer TEXT NOT NULL DEFAULT '',
    doc_number TEXT NOT NULL DEFAULT '',
    issued_on TEXT,
    published_on TEXT,
    level TEXT NOT NULL DEFAULT 'district' CHECK (level IN ('city', 'district', 'county')),
    kind TEXT NOT NULL DEFAULT 'main' CHECK (kind IN ('main', 'special')),
    start_year INTEGER NOT NULL,
    end_year INTEGER NOT NULL,
    baseline_year INTEGER NOT NULL,
    owner_unit_id INTEGER REFERENCES org_unit(id),
    source_name TEXT NOT NULL DEFAULT '',
    is_demo INTEGER NOT NULL DEFAULT 0,
    note TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%S', 'now')),
    CHECK (start_year <= end_year AND baseline_year < start_year)
);

CREATE TABLE plan_item (
    id INTEGER PRIMARY KEY,
    plan_id INTEGER NOT NULL REFERENCES plan(id) ON DELETE CASCADE,
    parent_id INTEGER REFERENCES plan_item(id) ON DELETE CASCADE,
    sort_order INTEGER NOT NULL,
    item_type TEXT NOT NULL CHECK (item_type IN (
        'chapter', 'section', 'heading', 'subheading', 'point',
        'task', 'box', 'box_item', 'paragraph')),
    level INTEGER NOT NULL,
    marker TEXT NOT NULL DEFAULT '',
    title TEXT NOT NULL DEFAULT '',
    body TEXT NOT NULL DEFAULT '',
    source_line INTEGER,
    source_text TEXT NOT NULL DEFAULT ''
);
CREATE INDEX plan_item_plan ON plan_item(plan_id, parent_id, sort_order);

CREATE TABLE assignment (
    id INTEGER PRIMARY KEY,
    plan_item_id INTEGER NOT NULL REFERENCES plan_item(id) ON DELETE CASCADE,
    org_unit_id INTEGER NOT NULL REFERENCES org_unit(id) ON DELETE RESTRICT,
    role TEXT NOT NULL CHECK (role IN ('lead', 'cooperate')),
    deadline TEXT,
    note TEXT NOT NULL DEFAULT '',
    UNIQUE (plan_item_id, org_unit_id)
);

CREATE TABLE assignment_milestone (
    assignment_id INTEGER NOT NULL REFERENCES assignment(id) ON DELETE CASCADE,
    year INTEGER NOT NULL,
    description TEXT NOT NULL,
    PRIMARY KEY (assignment_id, year)
);

CREATE TABLE data_element (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    value_type TEXT NOT NULL CHECK (value_type IN (
        'integer', 'number', 'percentage', 'text', 'boolean')),
    aggregation TEXT NOT NULL CHECK (aggregation IN (
        'sum', 'average', 'last', 'min', 'max', 'none')),
    -- 'station': reported by each station; 'district': entered once at district level
    entry_level TEXT NOT NULL DEFAULT 'station' CHECK (entry_level IN ('station', 'district')),
    unit TEXT NOT NULL DEFAULT '',
    unit_scale REAL NOT NULL DEFAULT 1,
    description TEXT NOT NULL DEFAULT ''
);

CREATE TABLE indicator (
    id INTEGER PRIMARY KEY,
    plan_id INTEGER NOT NULL REFERENCES plan(id) ON DELETE CASCADE,
    code TEXT NOT NULL,
    seq_printed TEXT NOT NULL DEFAULT '',
    sort_order INTEGER NOT NULL,
    name_printed TEXT NOT NULL,
    name TEXT NOT NULL,
    category TEXT NOT NULL DEFAULT '',
    attribute TEXT NOT NULL CHECK (attribute IN ('binding', 'expected')),
    unit_printed TEXT NOT NULL DEFAULT '',
    unit_canonical TEXT NOT NULL DEFAULT '',
    unit_scale REAL NOT NULL DEFAULT 1,
    direction TEXT NOT NULL CHECK (direction IN ('up', 'down')),
    time_semantics TEXT NOT NULL CHECK (time_semantics IN (
        'stock', 'flow', 'cumulative', 'average', 'growth')),
    numerator_id INTEGER REFERENCES data_element(id),
    denominator_id INTEGER REFERENCES data_element(id),
    factor REAL NOT NULL DEFAULT 1,
    baseline_text TEXT NOT NULL DEFAULT '',
    baseline_comparator TEXT,
    baseline_value REAL,
    baseline_upper REAL,
    baseline_kind TEXT NOT NULL DEFAULT 'placeholder',
    target_text TEXT NOT NULL DEFAULT '',
    target_comparator TEXT,
    target_value REAL,
    target_upper REAL,
    target_kind TEXT NOT NULL DEFAULT 'placeholder',
    source_line INTEGER,
    source_text TEXT NOT NULL DEFAULT '',
    note TEXT NOT NULL DEFAULT '',
    UNIQUE (plan_id, code),
    CHECK (denominator_id IS NULL OR numerator_id IS NOT NULL)
);

CREATE TABLE indicator_annual_target (
    indicator_id INTEGER NOT NULL REFERENCES indicator(id) ON DELETE CASCADE,
    year INTEGER NOT NULL,
    target_text TEXT NOT NULL,
    comparator TEXT,
    value REAL,
    upper REAL,
    kind TEXT NOT NULL,
    PRIMARY KEY (indicator_id, year)
);

-- Reported figures: element x unit x period.
-- Period ids follow DHIS2: 2024, 2024S1, 2024Q3, 202408.
CREATE TABLE data_value (
    period TEXT NOT NULL,
    element_id INTEGER NOT NULL REFERENCES data_element(id) ON DELETE RESTRICT,
    org_unit_id INTEGER NOT NULL REFERENCES org_unit(id) ON DELETE RESTRICT,
    value REAL,
    text_value TEXT,
    comment TEXT NOT NULL DEFAULT '',
    source TEXT NOT NULL DEFAULT 'entry' CHECK (source IN ('entry', 'workbook', 'import', 'demo')),
    import_id INTEGER,
    updated_by INTEGER,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%S', 'now')),
    PRIMARY KEY (period, element_id, org_unit_id)
) WITHOUT ROWID;
CREATE INDEX data_value_unit ON data_value(org_unit_id, period);

CREATE TABLE submission (
    id INTEGER PRIMARY KEY,
    plan_id INTEGER NOT NULL REFERENCES plan(id) ON DELETE CASCADE,
    org_unit_id INTEGER NOT NULL REFERENCES org_unit(id) ON DELETE RESTRICT,
    period TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'draft' CHECK (status IN (
        'draft', 'submitted', 'returned', 'approved')),
    reason TEXT NOT NULL DEFAULT '',
    submitted_at TEXT,
    submitted_by INTEGER,
    reviewed_at TEXT,
    reviewed_by INTEGER,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%S', 'now')),
    UNIQUE (plan_id, org_unit_id, period)
);

CREATE TABLE task_progress (
    id INTEGER PRIMARY KEY,
    plan_item_id INTEGER NOT NULL REFERENCES plan_item(id) ON DELETE CASCADE,
    org_unit_id INTEGER NOT NULL REFERENCES org_unit(id) ON DELETE RESTRICT,
    period TEXT NOT NULL,
    status TEXT NOT NULL DEFAULT 'not_started' CHECK (status IN (
        'not_started', 'in_progress', 'completed', 'delayed')),
    percent REAL CHECK (percent IS NULL OR (percent >= 0 AND percent <= 100)),
    progress_text TEXT NOT NULL DEFAULT '',
    problems_text TEXT NOT NULL DEFAULT '',
    next_steps_text TEXT NOT NULL DEFAULT '',
    updated_by INTEGER,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%S', 'now')),
    UNIQUE (plan_item_id, org_unit_id, period)
);

CREATE TABLE app_user (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL DEFAULT '',
    role TEXT NOT NULL CHECK (role IN ('admin', 'reviewer', 'clerk', 'viewer')),
    org_unit_id INTEGER REFERENCES org_unit(id),
    password_hash TEXT NOT NULL,
    password_salt TEXT NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    active INTEGER NOT NULL DEFAULT 1,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%S', 'now'))
);

-- Append-only: every change, chained by hash so that edits made outside PlanDesk show.
CREATE TABLE audit_event (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    user_id INTEGER,
    username TEXT NOT NULL DEFAULT '',
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id TEXT NOT NULL DEFAULT '',
    old_value TEXT,
    new_value TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
);
CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event
BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END;
CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event
BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END;
"""

_SCHEMA_0002 = """
-- Where an indicator came from and what kind of target it is.
ALTER TABLE indicator ADD COLUMN origin TEXT NOT NULL DEFAULT 'manual'
    CHECK (origin IN ('table', 'sentence', 'workbook', 'manual', 'demo'));
ALTER TABLE indicator ADD COLUMN target_type TEXT NOT NULL DEFAULT 'level';
ALTER TABLE indicator ADD COLUMN source_item_id INTEGER REFERENCES plan_item(id) ON DELETE SET NULL;
-- The same target printed twice (in the table and in a sentence) is linked, not counted twice.
ALTER TABLE indicator ADD COLUMN duplicate_of INTEGER REFERENCES indicator(id) ON DELETE SET NULL;
ALTER TABLE indicator_annual_target ADD COLUMN note TEXT NOT NULL DEFAULT '';

-- Units responsible for an indicator (lead or cooperating).
CREATE TABLE indicator_unit (
    indicator_id INTEGER NOT NULL REFERENCES indicator(id) ON DELETE CASCADE,
    org_unit_id INTEGER NOT NULL REFERENCES org_unit(id) ON DELETE RESTRICT,
    role TEXT NOT NULL CHECK (role IN ('lead', 'cooperate')),
    PRIMARY KEY (indicator_id, org_unit_id)
);

-- Station attributes the district keeps (staff, premises).
ALTER TABLE org_unit ADD COLUMN staff INTEGER CHECK (staff IS NULL OR staff >= 0);
ALTER TABLE org_unit ADD COLUMN premises TEXT NOT NULL DEFAULT '';

-- The document a plan was imported from, to recognise a re-import.
ALTER TABLE plan ADD COLUMN source_hash TEXT NOT NULL DEFAULT '';
"""

_SCHEMA_0003 = """
-- Where a change came from: "keyboard", "file:<name> sha256:<hex>", "cli", ...
-- It enters an event's digest only when it is not NULL, so older events still verify.
ALTER TABLE audit_event ADD COLUMN source TEXT;
ALTER TABLE submission ADD COLUMN submitted_source TEXT NOT NULL DEFAULT '';
-- Bumped at each transition of the workflow.
ALTER TABLE submission ADD COLUMN version INTEGER NOT NULL DEFAULT 0;

-- A snapshot at every transition (for diffs and history).
CREATE TABLE submission_version (
    id INTEGER PRIMARY KEY,
    submission_id INTEGER NOT NULL REFERENCES submission(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    status TEXT NOT NULL,
    at TEXT NOT NULL,
    user_id INTEGER,
    username TEXT NOT NULL DEFAULT '',
    reason TEXT NOT NULL DEFAULT '',
    values_json TEXT NOT NULL,
    tasks_json TEXT NOT NULL,
    source TEXT NOT NULL DEFAULT '',
    UNIQUE (submission_id, version)
);

-- The reviewer's comment on one value or task of a return.
CREATE TABLE review_comment (
    id INTEGER PRIMARY KEY,
    submission_id INTEGER NOT NULL REFERENCES submission(id) ON DELETE CASCADE,
    version INTEGER NOT NULL,
    element_id INTEGER REFERENCES data_element(id),
    plan_item_id INTEGER REFERENCES plan_item(id),
    text TEXT NOT NULL,
    CHECK ((element_id IS NULL) != (plan_item_id IS NULL))
);
CREATE INDEX review_comment_submission ON review_comment(submission_id, version);

-- When a period of a plan may be reported, and its deadline (dates, inclusive).
CREATE TABLE reporting_window (
    plan_id INTEGER NOT NULL REFERENCES plan(id) ON DELETE CASCADE,
    period TEXT NOT NULL,
    opens_on TEXT NOT NULL,
    deadline TEXT NOT NULL,
    PRIMARY KEY (plan_id, period)
);

-- Evidence files of a value or a task, stored by content hash beside the database.
CREATE TABLE evidence (
    id INTEGER PRIMARY KEY,
    plan_id INTEGER NOT NULL REFERENCES plan(id) ON DELETE CASCADE,
    org_unit_id INTEGER NOT NULL REFERENCES org_unit(id),
    period TEXT NOT NULL,
    element_id INTEGER REFERENCES data_element(id),
    plan_item_id INTEGER REFERENCES plan_item(id),
    file_name TEXT NOT NULL,
    sha256 TEXT NOT NULL,
    size INTEGER NOT NULL,
    stored_name TEXT NOT NULL,
    added_at TEXT NOT NULL,
    added_by INTEGER,
    CHECK ((element_id IS NULL) != (plan_item_id IS NULL)),
    UNIQUE (plan_id, org_unit_id, period, element_id, plan_item_id, sha256)
);
CREATE INDEX evidence_unit_period ON evidence(plan_id, org_unit_id, period);
"""

_SCHEMA_0004 = """
-- How an element's monthly, quarterly or half-year values make up a longer period's value:
-- 'sum' for amounts in the period (flows), 'last' for the value at the period's end (stocks),
-- 'average' for scores and rates reported each sub-period.
ALTER TABLE data_element ADD COLUMN time_aggregation TEXT NOT NULL DEFAULT 'last'
    CHECK (time_aggregation IN ('sum', 'last', 'average'));
-- A guess for existing elements (users check it in the element dialog): counts that make up a
-- flow or cumulative indicator, and are used by no stock indicator, add up; percentages and
-- scores average; everything else is a stock.
UPDATE data_element SET time_aggregation = 'sum'
WHERE value_type IN ('integer', 'number')
  AND id IN (SELECT numerator_id FROM indicator WHERE time_semantics IN ('flow', 'cumulative')
             UNION SELECT denominator_id FROM indicator
             WHERE time_semantics IN ('flow', 'cumulative') AND denominator_id IS NOT NULL)
  AND id NOT IN (SELECT numerator_id FROM indicator
                 WHERE time_semantics = 'stock' AND numerator_id IS NOT NULL
                 UNION SELECT denominator_id FROM indicator
                 WHERE time_semantics = 'stock' AND denominator_id IS NOT NULL)
  AND unit NOT IN ('分', '%');
UPDATE data_element SET time_aggregation = 'average'
WHERE value_type = 'percentage' OR unit IN ('分', '%');

-- A reviewer's judgement of an indicator whose target is qualitative or a ranking (or any
-- indicator the numbers cannot judge), per unit and year.
CREATE TABLE indicator_judgement (
    indicator_id INTEGER NOT NULL REFERENCES indicator(id) ON DELETE CASCADE,
    org_unit_id INTEGER NOT NULL REFERENCES org_unit(id) ON DELETE RESTRICT,
    year INTEGER NOT NULL,
    progress_class TEXT NOT NULL CHECK (progress_class IN (
        'achieved', 'ahead', 'on_track', 'behind')),
    note TEXT NOT NULL DEFAULT '',
    judged_by INTEGER REFERENCES app_user(id),
    judged_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%S', 'now')),
    PRIMARY KEY (indicator_id, org_unit_id, year)
);
"""

_SCHEMA_0005 = """
-- An annual assessment scheme (考核方案) of a plan: its items add up to total_points (bonus
-- items come on top, a veto item has no points); grades by thresholds on the total.
CREATE TABLE assessment_scheme (
    id INTEGER PRIMARY KEY,
    plan_id INTEGER NOT NULL REFERENCES plan(id) ON DELETE CASCADE,
    year INTEGER NOT NULL,
    title TEXT NOT NULL,
    total_points REAL NOT NULL DEFAULT 100,
    excellent_from REAL NOT NULL DEFAULT 90,
    good_from REAL NOT NULL DEFAULT 80,
    pass_from REAL NOT NULL DEFAULT 60,
    note TEXT NOT NULL DEFAULT '',
    UNIQUE (plan_id, year)
);

-- One scoring item. link says what it is tied to; an item whose indicator or task was deleted
-- keeps link and loses the id, so that it can be reported instead of silently scored.
CREATE TABLE assessment_item (
    id INTEGER PRIMARY KEY,
    scheme_id INTEGER NOT NULL REFERENCES assessment_scheme(id) ON DELETE CASCADE,
    sort_order INTEGER NOT NULL,
    code TEXT NOT NULL,
    title TEXT NOT NULL,
    category TEXT NOT NULL DEFAULT '',
    link TEXT NOT NULL DEFAULT 'none' CHECK (link IN ('none', 'indicator', 'task')),
    indicator_id INTEGER REFERENCES indicator(id) ON DELETE SET NULL,
    plan_item_id INTEGER REFERENCES plan_item(id) ON DELETE SET NULL,
    points REAL NOT NULL DEFAULT 0,
    method TEXT NOT NULL CHECK (method IN (
        'proportional', 'tiers', 'pass_fail', 'deduction', 'bonus', 'veto')),
    params TEXT NOT NULL DEFAULT '{}',
    evidence_required INTEGER NOT NULL DEFAULT 0,
    criteria TEXT NOT NULL DEFAULT '',
    UNIQUE (scheme_id, code)
);

-- A unit's score on an item: what it measured and scored itself (自评), and the district's
-- reviewed input and score (复评) with the reason where it differs.
CREATE TABLE assessment_score (
    item_id INTEGER NOT NULL REFERENCES assessment_item(id) ON DELETE CASCADE,
    org_unit_id INTEGER NOT NULL REFERENCES org_unit(id) ON DELETE RESTRICT,
    self_input REAL,
    self_score REAL,
    self_note TEXT NOT NULL DEFAULT '',
    review_input REAL,
    review_score REAL,
    review_reason TEXT NOT NULL DEFAULT '',
    updated_by INTEGER,
    updated_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%S', 'now')),
    PRIMARY KEY (item_id, org_unit_id)
);
CREATE INDEX assessment_score_unit ON assessment_score(org_unit_id);
"""
