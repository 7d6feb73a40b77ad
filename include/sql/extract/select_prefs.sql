-- The school's settings of the year (P3 recording method, P4 bridge).
SELECT id, name, value
FROM {schema}.prefs
WHERE schoolid = %(school_number)s
  AND yearid = %(yearid)s
  AND name IN (%(pref_record_mode_daily)s, %(pref_record_mode_meeting)s, %(pref_bridge)s)
ORDER BY id
