-- When a section meets: one row per period number and cycle day letter.
CREATE TABLE section_meeting (
    id bigint PRIMARY KEY,
    sectionid bigint NOT NULL,
    schoolid bigint NOT NULL,
    year_id integer NOT NULL,
    period_number integer NOT NULL,
    cycle_day_letter varchar(10) NOT NULL
);
