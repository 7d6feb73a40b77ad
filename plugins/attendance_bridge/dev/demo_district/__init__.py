"""A deterministic demo district whose two schools switched attendance method mid-year.

``create_sis_schema`` builds the SIS tables of SPEC section 2 in a schema;
``generate_demo_district`` fills them with one school year that exercises every rule of
SPEC section 5:

- Lincoln High (100) recorded Daily in the fall and Meeting in the spring; Roosevelt Middle
  (200) the other way round. Their prefs describe the method each uses now; the district
  office (0) and the previous year have prefs rows too.
- Two bell schedules in use with different bridge periods (Regular: homeroom; Early
  Release, one Wednesday a month: period 2) and an unused Assembly schedule with none (P5).
- A/B cycle days, holidays, homerooms, a double-block course, alternate-day courses,
  semester courses, an independent study that double-books period 6 (D3), dropped
  enrolments, mid-term section changes, late arrivals, early leavers, and students without a
  homeroom, whose Daily records on Regular days have no bridge period to go to (D5).
- Daily records with and without attendance_time rows, student-days with two Daily records
  (D6); Meeting records for whole-day absences, tardies and cut classes, student-days with
  two bridge-period Meeting records (M2); records the other direction would build already in
  place (D4, M1); and noise to ignore: records on days off (X3) and of another mode.

Same arguments, same rows: every random choice comes from one ``numpy.random.default_rng``
and ids are handed out in a fixed order. Each table draws its ids from its own range, so a
join on the wrong id column finds nothing instead of something plausible.

``schools=`` (2 by default) makes a larger district, the district benchmark's
(``bench/district.py``): the two schools repeated in turn as 300, 400, ... ("Lincoln High 2",
"Roosevelt Middle 2", ...), every school's year ending the same day; the default district is
unchanged by it.

The package, by job: ``plan`` (tables, id ranges, codes, the two school plans), ``school_calendar``
(the year, calendar days, bell schedules, terms), ``enrolments`` (students, sections, cc),
``attendance`` (one school's records, copies and noise), ``district`` (all of it as frames) and
``into_postgres`` (DDL and COPY into PostgreSQL).

Command line: ``python -m attendance_bridge.dev.demo_district --help``. This package imports
pandas and numpy, and is development-only: production code never imports it.
"""

from attendance_bridge.dev.demo_district.district import demo_district_tables
from attendance_bridge.dev.demo_district.into_postgres import (
    SCHEMA_STATEMENTS,
    build_demo_district,
    create_sis_schema,
    existing_sis_tables,
    generate_demo_district,
)
from attendance_bridge.dev.demo_district.plan import MAX_STUDENTS_PER_SCHOOL, SIS_TABLES, DemoDistrict

__all__ = [
    "MAX_STUDENTS_PER_SCHOOL",
    "SCHEMA_STATEMENTS",
    "SIS_TABLES",
    "DemoDistrict",
    "build_demo_district",
    "create_sis_schema",
    "demo_district_tables",
    "existing_sis_tables",
    "generate_demo_district",
]
