-- Issue 6: every term of a school (never the district office, P1) whose last day falls in
-- [first_day, last_day], with the school's settings of the term's year: whether a recording
-- method is current (P3) and whether the bridge is on (P4). The schools are chosen from these
-- rows in Python, which also says why a school whose term ends is left out.
SELECT
    t.schoolid AS school_number,
    s.name AS school_name,
    t.id AS termid,
    t.yearid,
    t.name AS term_name,
    t.abbreviation AS term_abbreviation,
    t.firstday,
    t.lastday,
    coalesce(t.isyearrec = 1, false) AS year_term,
    coalesce(bool_or(p.name IN (%(pref_record_mode_daily)s, %(pref_record_mode_meeting)s) AND p.value = '1'), false)
        AS recording_method_current,
    coalesce(bool_or(p.name = %(pref_bridge)s AND p.value IN (%(bridge_one_way)s, %(bridge_two_way)s)), false)
        AS bridge_on
FROM {schema}.terms AS t
JOIN {schema}.schools AS s ON s.school_number = t.schoolid
LEFT JOIN {schema}.prefs AS p
    ON p.schoolid = t.schoolid
   AND p.yearid = t.yearid
   AND p.name IN (%(pref_record_mode_daily)s, %(pref_record_mode_meeting)s, %(pref_bridge)s)
WHERE t.lastday BETWEEN %(first_day)s AND %(last_day)s
  AND t.schoolid <> %(district_office)s
GROUP BY t.schoolid, s.name, t.id, t.yearid, t.name, t.abbreviation, t.firstday, t.lastday, t.isyearrec
ORDER BY t.schoolid, t.yearid, t.firstday, t.id
