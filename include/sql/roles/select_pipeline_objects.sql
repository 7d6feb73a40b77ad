-- Every object in or on the pipeline schema, as the setup compares it with the manifest of the
-- migrations' objects (db/roles.py, MIGRATION_OBJECTS) (issue 30). The tables it keeps (the
-- migrations' and the runs' snapshot tables, kept_tables) are listed with what is attached to
-- them: indexes and constraints (NOT NULL aside), triggers (by definition, with their state),
-- rules, policies, row level security, inheritance, and whatever of them (a column, a default,
-- an index, a constraint) uses a function or operator outside pg_catalog. Any other table goes
-- with everything on it. Then the schema's other relations, functions, procedures, aggregates,
-- types, domains, operators, classes, collations, conversions, text search objects, statistics,
-- extensions and default privileges (an extension's members, and a range type's constructors,
-- go with it); and the event triggers whose function is in the schema or belongs to a role the
-- pipeline's login or role (subjects) may act as.
--
-- identity: what the manifest holds (names within the schema, unqualified); description: the
-- object for a person; qualified: its quoted name for a statement; owner; removal: the statement
-- that drops it (NULL: the setup never drops it); definer_unsafe: a SECURITY DEFINER function
-- without the fixed search_path; phase: the order of removal (what is attached first).
WITH pipeline AS (
    SELECT n.oid, n.nspname, quote_ident(n.nspname) || '.' AS prefix
    FROM pg_catalog.pg_namespace AS n WHERE n.nspname = %(pipeline_schema)s
),
kept AS (
    SELECT c.oid, c.relname FROM pg_catalog.pg_class AS c JOIN pipeline AS s ON s.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p') AND c.relname = ANY (%(kept_tables)s::text[])
),
subjects AS (
    SELECT r.rolname FROM pg_catalog.pg_roles AS r WHERE r.rolname = ANY (%(subjects)s::text[])
),
objects (kind, identity, description, qualified, owner, removal, definer_unsafe, phase, sort) AS (
    SELECT 'event trigger', e.evtname::text, format('event trigger %%s (%%s on %%s)', e.evtname, e.evtfoid::regprocedure, e.evtevent),
        quote_ident(e.evtname), pg_catalog.pg_get_userbyid(e.evtowner), format('DROP EVENT TRIGGER %%I', e.evtname),
        false, 0, e.oid::bigint
    FROM pg_catalog.pg_event_trigger AS e
    JOIN pg_catalog.pg_proc AS p ON p.oid = e.evtfoid
    WHERE p.pronamespace = (SELECT s.oid FROM pipeline AS s)
       OR EXISTS (SELECT 1 FROM subjects AS j WHERE pg_catalog.pg_has_role(j.rolname, p.proowner, 'MEMBER'))
    UNION ALL
    SELECT 'trigger', regexp_replace(replace(pg_catalog.pg_get_triggerdef(t.oid), s.prefix, ''), '^CREATE (CONSTRAINT )?TRIGGER ', '')
            || state.words,
        format('trigger %%s on %%I.%%I: %%s', t.tgname, s.nspname, k.relname, pg_catalog.pg_get_triggerdef(t.oid)) || state.words,
        NULL, NULL, format('DROP TRIGGER %%I ON %%I.%%I', t.tgname, s.nspname, k.relname), false, 1, t.oid::bigint
    FROM pg_catalog.pg_trigger AS t JOIN kept AS k ON k.oid = t.tgrelid CROSS JOIN pipeline AS s
    CROSS JOIN LATERAL (SELECT CASE t.tgenabled WHEN 'O' THEN '' WHEN 'D' THEN ' (disabled)' WHEN 'R' THEN ' (replica only)'
                                                ELSE ' (always)' END) AS state (words)
    WHERE NOT t.tgisinternal
    UNION ALL
    SELECT 'rule', format('%%s on %%s', r.rulename, k.relname),
        format('rule %%s on %%I.%%I: %%s', r.rulename, s.nspname, k.relname, pg_catalog.pg_get_ruledef(r.oid)),
        NULL, NULL, format('DROP RULE %%I ON %%I.%%I', r.rulename, s.nspname, k.relname), false, 1, r.oid::bigint
    FROM pg_catalog.pg_rewrite AS r JOIN kept AS k ON k.oid = r.ev_class CROSS JOIN pipeline AS s
    WHERE r.rulename <> '_RETURN'
    UNION ALL
    SELECT 'policy', format('%%s on %%s', p.polname, k.relname),
        format('policy %%s on %%I.%%I', p.polname, s.nspname, k.relname),
        NULL, NULL, format('DROP POLICY %%I ON %%I.%%I', p.polname, s.nspname, k.relname), false, 1, p.oid::bigint
    FROM pg_catalog.pg_policy AS p JOIN kept AS k ON k.oid = p.polrelid CROSS JOIN pipeline AS s
    UNION ALL
    SELECT 'row level security', format('on %%s', c.relname), format('row level security on %%I.%%I', s.nspname, c.relname),
        NULL, NULL,
        format('ALTER TABLE %%I.%%I NO FORCE ROW LEVEL SECURITY, DISABLE ROW LEVEL SECURITY', s.nspname, c.relname),
        false, 1, c.oid::bigint
    FROM pg_catalog.pg_class AS c JOIN kept AS k ON k.oid = c.oid CROSS JOIN pipeline AS s
    WHERE c.relrowsecurity OR c.relforcerowsecurity
    UNION ALL
    -- Constraints on a kept table, and those of a table elsewhere that reference one.
    SELECT 'constraint', format('%%s on %%s', o.conname,
                                CASE WHEN n.nspname = %(pipeline_schema)s THEN c.relname::text ELSE format('%%I.%%I', n.nspname, c.relname) END),
        format('constraint %%s on %%I.%%I: %%s', o.conname, n.nspname, c.relname, pg_catalog.pg_get_constraintdef(o.oid)),
        NULL, NULL, format('ALTER TABLE %%I.%%I DROP CONSTRAINT %%I', n.nspname, c.relname, o.conname), false, 1,
        o.oid::bigint
    FROM pg_catalog.pg_constraint AS o
    JOIN kept AS k ON k.oid = o.conrelid OR k.oid = o.confrelid
    JOIN pg_catalog.pg_class AS c ON c.oid = o.conrelid
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    WHERE o.contype <> 'n' AND (k.oid = o.conrelid OR n.nspname <> %(pipeline_schema)s)
    UNION ALL
    SELECT 'index', format('%%s on %%s', i.relname, k.relname), format('index %%I.%%I on %%I', s.nspname, i.relname, k.relname),
        NULL, NULL, format('DROP INDEX %%I.%%I', s.nspname, i.relname), false, 1, i.oid::bigint
    FROM pg_catalog.pg_index AS x
    JOIN kept AS k ON k.oid = x.indrelid
    JOIN pg_catalog.pg_class AS i ON i.oid = x.indexrelid
    CROSS JOIN pipeline AS s
    WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_constraint AS o WHERE o.conindid = x.indexrelid AND o.conrelid = x.indrelid)
    UNION ALL
    -- A kept table's parent or child, but a child the setup drops as a table of the schema.
    SELECT 'inheritance', format('%%s inherits from %%s', i.inhrelid::regclass, i.inhparent::regclass),
        format('table %%s inherits from %%s', i.inhrelid::regclass, i.inhparent::regclass), NULL, NULL,
        format('ALTER TABLE %%s NO INHERIT %%s', i.inhrelid::regclass, i.inhparent::regclass), false, 1, i.inhrelid::bigint
    FROM pg_catalog.pg_inherits AS i
    JOIN pg_catalog.pg_class AS c ON c.oid = i.inhrelid
    WHERE i.inhrelid IN (SELECT k.oid FROM kept AS k)
       OR i.inhparent IN (SELECT k.oid FROM kept AS k) AND c.relnamespace <> (SELECT s.oid FROM pipeline AS s)
    UNION ALL
    -- What a kept table, its defaults, indexes and constraints use from outside pg_catalog.
    SELECT 'dependency', replace(format('%%s uses %%s', pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid),
                                        pg_catalog.pg_describe_object(d.refclassid, d.refobjid, 0)), s.prefix, ''),
        format('%%s uses %%s', pg_catalog.pg_describe_object(d.classid, d.objid, d.objsubid),
               pg_catalog.pg_describe_object(d.refclassid, d.refobjid, 0)),
        NULL, NULL, NULL, false, 1, d.objid::bigint
    FROM pg_catalog.pg_depend AS d CROSS JOIN pipeline AS s
    WHERE d.refclassid IN ('pg_catalog.pg_proc'::regclass, 'pg_catalog.pg_operator'::regclass)
      AND coalesce((SELECT p.pronamespace FROM pg_catalog.pg_proc AS p WHERE p.oid = d.refobjid AND d.refclassid = 'pg_catalog.pg_proc'::regclass),
                   (SELECT o.oprnamespace FROM pg_catalog.pg_operator AS o WHERE o.oid = d.refobjid AND d.refclassid = 'pg_catalog.pg_operator'::regclass))
          <> 'pg_catalog'::regnamespace
      AND (d.classid = 'pg_catalog.pg_class'::regclass
              AND d.objid IN (SELECT k.oid FROM kept AS k UNION ALL SELECT x.indexrelid FROM pg_catalog.pg_index AS x JOIN kept AS k ON k.oid = x.indrelid)
           OR d.classid = 'pg_catalog.pg_attrdef'::regclass
              AND d.objid IN (SELECT a.oid FROM pg_catalog.pg_attrdef AS a JOIN kept AS k ON k.oid = a.adrelid)
           OR d.classid = 'pg_catalog.pg_constraint'::regclass
              AND d.objid IN (SELECT o.oid FROM pg_catalog.pg_constraint AS o JOIN kept AS k ON k.oid = o.conrelid))
    UNION ALL
    -- The schema's relations; a sequence that belongs to a column of a table dropped here goes with it.
    SELECT CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view' WHEN 'f' THEN 'foreign table'
                          WHEN 'S' THEN 'sequence' ELSE 'table' END,
        c.relname::text, format('%%s %%I.%%I', CASE c.relkind WHEN 'v' THEN 'view' WHEN 'm' THEN 'materialized view'
            WHEN 'f' THEN 'foreign table' WHEN 'S' THEN 'sequence' ELSE 'table' END, s.nspname, c.relname),
        format('%%I.%%I', s.nspname, c.relname), pg_catalog.pg_get_userbyid(c.relowner),
        format('DROP %%s %%I.%%I', CASE c.relkind WHEN 'v' THEN 'VIEW' WHEN 'm' THEN 'MATERIALIZED VIEW'
            WHEN 'f' THEN 'FOREIGN TABLE' WHEN 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, s.nspname, c.relname),
        false, CASE WHEN c.relkind IN ('v', 'm') THEN 2 ELSE 3 END, c.oid::bigint
    FROM pg_catalog.pg_class AS c JOIN pipeline AS s ON s.oid = c.relnamespace
    WHERE c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
      AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend AS d
                      WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
      AND NOT EXISTS (
          SELECT 1 FROM pg_catalog.pg_depend AS d JOIN pg_catalog.pg_class AS t ON t.oid = d.refobjid
          WHERE c.relkind = 'S' AND d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid
            AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.deptype IN ('a', 'i')
            AND t.relnamespace = s.oid AND t.oid NOT IN (SELECT k.oid FROM kept AS k)
      )
    UNION ALL
    SELECT CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END,
        format('%%s(%%s)', p.proname, replace(pg_catalog.oidvectortypes(p.proargtypes), s.prefix, '')),
        format('%%s %%I.%%I(%%s)', CASE p.prokind WHEN 'p' THEN 'procedure' WHEN 'a' THEN 'aggregate' ELSE 'function' END,
               s.nspname, p.proname, pg_catalog.oidvectortypes(p.proargtypes)),
        format('%%I.%%I(%%s)', s.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid)),
        pg_catalog.pg_get_userbyid(p.proowner),
        format('DROP ROUTINE %%I.%%I(%%s)', s.nspname, p.proname, pg_catalog.pg_get_function_identity_arguments(p.oid)),
        p.prosecdef AND NOT coalesce(p.proconfig @> ARRAY['search_path=pg_catalog, pg_temp'], false), 4, p.oid::bigint
    FROM pg_catalog.pg_proc AS p JOIN pipeline AS s ON s.oid = p.pronamespace
    WHERE NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend AS d
                      WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid AND d.deptype IN ('e', 'i'))
    UNION ALL
    -- Types of their own (not a table's row type, an array or a range's multirange).
    SELECT CASE t.typtype WHEN 'd' THEN 'domain' ELSE 'type' END, t.typname::text,
        format('%%s %%I.%%I', CASE t.typtype WHEN 'd' THEN 'domain' ELSE 'type' END, s.nspname, t.typname),
        format('%%I.%%I', s.nspname, t.typname), pg_catalog.pg_get_userbyid(t.typowner),
        format('DROP %%s %%I.%%I', CASE t.typtype WHEN 'd' THEN 'DOMAIN' ELSE 'TYPE' END, s.nspname, t.typname),
        false, 5, t.oid::bigint
    FROM pg_catalog.pg_type AS t JOIN pipeline AS s ON s.oid = t.typnamespace
    LEFT JOIN pg_catalog.pg_class AS c ON c.oid = t.typrelid
    WHERE t.typtype IN ('b', 'c', 'd', 'e', 'r') AND coalesce(c.relkind, 'c') = 'c'
      AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_type AS e WHERE e.typarray = t.oid)
      AND NOT EXISTS (SELECT 1 FROM pg_catalog.pg_depend AS d
                      WHERE d.classid = 'pg_catalog.pg_type'::regclass AND d.objid = t.oid AND d.deptype = 'e')
    UNION ALL
    SELECT 'statistics', x.stxname::text, format('statistics %%I.%%I', s.nspname, x.stxname), NULL,
        pg_catalog.pg_get_userbyid(x.stxowner), format('DROP STATISTICS %%I.%%I', s.nspname, x.stxname), false, 1,
        x.oid::bigint
    FROM pg_catalog.pg_statistic_ext AS x JOIN pipeline AS s ON s.oid = x.stxnamespace
    UNION ALL
    -- What the setup names and never drops.
    SELECT o.kind, o.name, format('%%s %%s in schema %%I', o.kind, o.name, s.nspname), NULL, pg_catalog.pg_get_userbyid(o.owner),
        NULL, false, 6, 0
    FROM pipeline AS s
    CROSS JOIN LATERAL (
        SELECT 'operator', replace(o.oid::regoperator::text, s.prefix, ''), o.oprowner FROM pg_catalog.pg_operator AS o WHERE o.oprnamespace = s.oid
        UNION ALL SELECT 'operator class', c.opcname::text, c.opcowner FROM pg_catalog.pg_opclass AS c WHERE c.opcnamespace = s.oid
        UNION ALL SELECT 'operator family', f.opfname::text, f.opfowner FROM pg_catalog.pg_opfamily AS f WHERE f.opfnamespace = s.oid
        UNION ALL SELECT 'collation', c.collname::text, c.collowner FROM pg_catalog.pg_collation AS c WHERE c.collnamespace = s.oid
        UNION ALL SELECT 'conversion', c.conname::text, c.conowner FROM pg_catalog.pg_conversion AS c WHERE c.connamespace = s.oid
        UNION ALL SELECT 'text search configuration', c.cfgname::text, c.cfgowner FROM pg_catalog.pg_ts_config AS c WHERE c.cfgnamespace = s.oid
        UNION ALL SELECT 'text search dictionary', d.dictname::text, d.dictowner FROM pg_catalog.pg_ts_dict AS d WHERE d.dictnamespace = s.oid
        UNION ALL SELECT 'text search parser', p.prsname::text, NULL::oid FROM pg_catalog.pg_ts_parser AS p WHERE p.prsnamespace = s.oid
        UNION ALL SELECT 'text search template', t.tmplname::text, NULL::oid FROM pg_catalog.pg_ts_template AS t WHERE t.tmplnamespace = s.oid
        UNION ALL SELECT 'extension', e.extname::text, e.extowner FROM pg_catalog.pg_extension AS e WHERE e.extnamespace = s.oid
        UNION ALL SELECT 'default privileges', format('of role %%s on new %%s', pg_catalog.pg_get_userbyid(a.defaclrole),
                                                      CASE a.defaclobjtype WHEN 'r' THEN 'tables' WHEN 'S' THEN 'sequences'
                                                           WHEN 'f' THEN 'functions' WHEN 'T' THEN 'types' ELSE 'schemas' END),
                             a.defaclrole
                         FROM pg_catalog.pg_default_acl AS a WHERE a.defaclnamespace = s.oid
    ) AS o (kind, name, owner)
)
SELECT o.kind, o.identity, o.description, o.qualified, o.owner, o.removal, o.definer_unsafe
FROM objects AS o
ORDER BY o.phase, o.sort DESC, o.identity
