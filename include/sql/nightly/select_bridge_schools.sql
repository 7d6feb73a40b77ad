-- SPEC B1, B4: every school (never the district office, P1) whose year term covers a day of
-- [first_day, last_day], with its settings of that year: how many recording methods are current
-- (P3: exactly one) and the values of its Meeting and Daily Attendance Bridge ('1' one-way, '2'
-- two-way; '0', none or several: left out). The syncs are chosen from these rows in Python, which
-- also says why a school is left out.
SELECT
    t.schoolid AS school_number,
    s.name AS school_name,
    t.yearid,
    t.firstday,
    t.lastday,
    count(DISTINCT p.name) FILTER (
        WHERE p.name IN (%(pref_record_mode_daily)s, %(pref_record_mode_meeting)s) AND p.value = '1'
    ) AS current_methods,
    coalesce(
        array_agg(DISTINCT p.value ORDER BY p.value) FILTER (WHERE p.name = %(pref_bridge)s), ARRAY[]::text[]
    ) AS bridge_values
FROM {schema}.terms AS t
JOIN {schema}.schools AS s ON s.school_number = t.schoolid
LEFT JOIN {schema}.prefs AS p
    ON p.schoolid = t.schoolid
   AND p.yearid = t.yearid
   AND p.name IN (%(pref_record_mode_daily)s, %(pref_record_mode_meeting)s, %(pref_bridge)s)
WHERE t.isyearrec = 1
  AND t.firstday <= %(last_day)s
  AND t.lastday >= %(first_day)s
  AND t.schoolid <> %(district_office)s
GROUP BY t.schoolid, s.name, t.yearid, t.firstday, t.lastday
ORDER BY t.schoolid, t.yearid
