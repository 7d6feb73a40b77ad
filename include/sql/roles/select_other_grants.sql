-- What the pipeline's login and role may do beyond what the setup grants them, directly, through
-- any role they are a member of (at any depth, inherited or not: a member may SET ROLE), or
-- through PUBLIC (issue 30): write, lock or alter any table, view or sequence of the SIS schema
-- (INSERT, UPDATE, DELETE, TRUNCATE, TRIGGER, MAINTAIN, a column's INSERT or UPDATE, a
-- sequence's UPDATE, or owning it or the schema); write or alter a table of the pipeline schema
-- or create objects in it; act as the pipeline schema's owner role, the database's owner, a
-- SUPERUSER, CREATEROLE or BYPASSRLS role, or pg_write_all_data, pg_maintain,
-- pg_write_server_files, pg_execute_server_program. The setup's own grants are left out: the
-- pipeline role's grants by the table's or schema's owner (what the setup grants, run as a
-- superuser or that owner) and the login's membership in the pipeline role.
--
-- One row per subject, object and way: the privileges; the statement that takes them away from the
-- login or role alone (REVOKE of its own grant, as its grantor; REVOKE of its first membership on
-- the way, from each grantor; ALTER ROLE of its own attribute; REVOKE from PUBLIC in the pipeline
-- schema, which is the pipeline's alone); and that in words. No statement where only a change
-- others may depend on would do (a grant to PUBLIC on a SIS object, an object the login or role
-- owns): then the words are what an administrator would consider.
WITH RECURSIVE
subjects AS (
    SELECT r.oid AS subject, s.rank
    FROM unnest(%(subjects)s::text[]) WITH ORDINALITY AS s (name, rank)
    JOIN pg_catalog.pg_roles AS r ON r.rolname = s.name
),
setup AS (
    SELECT (SELECT r.oid FROM pg_catalog.pg_roles AS r WHERE r.rolname = %(role)s) AS pipeline_role,
           (SELECT r.oid FROM pg_catalog.pg_roles AS r WHERE r.rolname = %(owner)s) AS owner_role,
           (SELECT r.oid FROM pg_catalog.pg_roles AS r WHERE r.rolname = current_user) AS administrator
),
edges AS (
    SELECT m.roleid, m.member,
           string_agg(DISTINCT pg_catalog.pg_get_userbyid(m.grantor), ', ') AS grantors,
           string_agg(format('REVOKE %%I FROM %%I GRANTED BY %%I', pg_catalog.pg_get_userbyid(m.roleid),
                             pg_catalog.pg_get_userbyid(m.member), pg_catalog.pg_get_userbyid(m.grantor)), '; ')
               AS revoke
    FROM pg_catalog.pg_auth_members AS m
    GROUP BY m.roleid, m.member
),
-- Every role a subject is a member of, with the way in words and the statement that revokes the
-- first membership on it. The pipeline role's rights are reported as its own (the login is its
-- member by design); the owner role is reported as a membership, not for its privileges.
reach (subject, holder, way, remedy, done, depth) AS (
    SELECT s.subject, s.subject, ''::text, NULL::text, NULL::text, 0 FROM subjects AS s
    UNION ALL
    SELECT r.subject, e.roleid,
        (r.way || CASE WHEN r.depth = 0 THEN 'through role ' ELSE ', then role ' END
            || format('%%s (granted to %%s by %%s)', pg_catalog.pg_get_userbyid(e.roleid),
                      pg_catalog.pg_get_userbyid(e.member), e.grantors)) COLLATE "default",
        coalesce(r.remedy, e.revoke) COLLATE "default",
        coalesce(r.done, format('revoked role %%s from %%s (granted by %%s)', pg_catalog.pg_get_userbyid(e.roleid),
                                pg_catalog.pg_get_userbyid(e.member), e.grantors)) COLLATE "default",
        r.depth + 1
    FROM reach AS r
    JOIN edges AS e ON e.member = r.holder
    CROSS JOIN setup AS x
    WHERE r.depth < 20 AND e.roleid IS DISTINCT FROM x.pipeline_role AND r.holder IS DISTINCT FROM x.owner_role
),
holders AS (
    SELECT r.subject, r.holder, r.way, r.remedy, r.done, r.depth FROM reach AS r
    UNION ALL
    -- PUBLIC once, under the first subject (the login when there is one).
    SELECT s.subject, 0::oid, 'through PUBLIC', NULL, NULL, -1
    FROM subjects AS s WHERE s.rank = (SELECT min(t.rank) FROM subjects AS t)
),
acl AS (
    SELECT n.nspname, c.relname, c.relkind, c.relowner, NULL::name AS column_name, a.grantee, a.grantor,
           a.privilege_type
    FROM pg_catalog.pg_class AS c
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    CROSS JOIN LATERAL pg_catalog.aclexplode(coalesce(
        c.relacl, pg_catalog.acldefault(CASE WHEN c.relkind = 'S' THEN 's' ELSE 'r' END::"char", c.relowner)
    )) AS a
    WHERE n.nspname IN (%(sis_schema)s, %(pipeline_schema)s) AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
    UNION ALL
    SELECT n.nspname, c.relname, c.relkind, c.relowner, t.attname, a.grantee, a.grantor, a.privilege_type
    FROM pg_catalog.pg_attribute AS t
    JOIN pg_catalog.pg_class AS c ON c.oid = t.attrelid
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    CROSS JOIN LATERAL pg_catalog.aclexplode(t.attacl) AS a
    WHERE n.nspname IN (%(sis_schema)s, %(pipeline_schema)s) AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
      AND t.attacl IS NOT NULL AND t.attnum > 0 AND NOT t.attisdropped
),
findings (subject, privilege, object, way, remedy, done) AS (
    -- Writing, locking or altering a table, view or sequence. A grant to the subject itself is
    -- revoked as its grantor; one to PUBLIC only in the pipeline schema (in the SIS, other roles
    -- may need it: the administrator decides).
    SELECT h.subject, a.privilege_type, format('%%s.%%s', a.nspname, a.relname) || coalesce(' (column ' || a.column_name || ')', ''),
        CASE h.depth WHEN 0 THEN format('(granted to it directly by %%s)', pg_catalog.pg_get_userbyid(a.grantor))
                     WHEN -1 THEN format('through PUBLIC (granted by %%s)', pg_catalog.pg_get_userbyid(a.grantor))
                     ELSE h.way END,
        CASE WHEN h.depth > 0 THEN h.remedy
             WHEN h.depth = 0 OR a.nspname = %(pipeline_schema)s THEN
                 format('SET LOCAL ROLE %%I; REVOKE %%s%%s ON %%s %%I.%%I FROM %%s; RESET ROLE',
                        pg_catalog.pg_get_userbyid(a.grantor), a.privilege_type,
                        coalesce(' (' || quote_ident(a.column_name) || ')', ''),
                        CASE WHEN a.relkind = 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, a.nspname, a.relname,
                        CASE WHEN h.depth = 0 THEN quote_ident(pg_catalog.pg_get_userbyid(h.subject)) ELSE 'PUBLIC' END)
        END,
        CASE WHEN h.depth > 0 THEN h.done
             ELSE format('%%s %%s%%s ON %%s.%%s FROM %%s (granted by %%s)',
                         CASE WHEN h.depth = 0 OR a.nspname = %(pipeline_schema)s THEN 'revoked' ELSE 'REVOKE' END,
                         a.privilege_type, coalesce(' (' || a.column_name || ')', ''), a.nspname, a.relname,
                         CASE WHEN h.depth = 0 THEN pg_catalog.pg_get_userbyid(h.subject) ELSE 'PUBLIC' END,
                         pg_catalog.pg_get_userbyid(a.grantor))
        END
    FROM holders AS h
    JOIN acl AS a ON a.grantee = h.holder
    CROSS JOIN setup AS x
    WHERE h.holder IS DISTINCT FROM x.owner_role AND a.grantee <> a.relowner
      AND (a.privilege_type IN ('INSERT', 'UPDATE', 'DELETE', 'TRUNCATE', 'TRIGGER', 'MAINTAIN') AND a.relkind <> 'S'
           OR a.privilege_type = 'UPDATE' AND a.relkind = 'S')
      AND NOT (h.holder = x.pipeline_role AND a.grantor IN (a.relowner, x.administrator))
    UNION ALL
    -- Owning a table, view or sequence of the SIS schema (the pipeline schema's objects are the
    -- hand-over's and the objects check's).
    SELECT h.subject, 'act as the owner of', format('%%s.%%s', n.nspname, c.relname), nullif(h.way, ''),
        h.remedy, coalesce(h.done, format('ALTER TABLE %%s.%%s OWNER TO <the SIS owner>', n.nspname, c.relname))
    FROM holders AS h
    JOIN pg_catalog.pg_class AS c ON c.relowner = h.holder
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    WHERE n.nspname = %(sis_schema)s AND c.relkind IN ('r', 'p', 'v', 'm', 'f', 'S')
      AND NOT EXISTS (  -- a column's sequence goes with its table
          SELECT 1 FROM pg_catalog.pg_depend AS d
          WHERE d.classid = 'pg_catalog.pg_class'::regclass AND d.objid = c.oid AND c.relkind = 'S'
            AND d.refclassid = 'pg_catalog.pg_class'::regclass AND d.deptype IN ('a', 'i')
      )
    UNION ALL
    -- Owning the SIS schema (its owner may drop any table in it), or the database.
    SELECT h.subject, 'act as the owner of', format('schema %%s', n.nspname), nullif(h.way, ''), h.remedy,
        coalesce(h.done, format('ALTER SCHEMA %%s OWNER TO <the SIS owner>', n.nspname))
    FROM holders AS h
    JOIN pg_catalog.pg_namespace AS n ON n.nspowner = h.holder
    WHERE n.nspname = %(sis_schema)s
    UNION ALL
    SELECT h.subject, 'act as the owner of', format('database %%s', d.datname), nullif(h.way, ''), h.remedy,
        coalesce(h.done, format('ALTER DATABASE %%s OWNER TO <its administrator>', d.datname))
    FROM holders AS h
    JOIN pg_catalog.pg_database AS d ON d.datdba = h.holder
    WHERE d.datname = current_database()
    UNION ALL
    -- Creating objects in the pipeline schema (the setup's own grant to the pipeline role aside);
    -- a grant to PUBLIC is revoked too: the schema is the pipeline's alone.
    SELECT h.subject, 'CREATE objects in', format('schema %%s', n.nspname),
        CASE h.depth WHEN 0 THEN format('(granted to it directly by %%s)', pg_catalog.pg_get_userbyid(a.grantor))
                     WHEN -1 THEN format('through PUBLIC (granted by %%s)', pg_catalog.pg_get_userbyid(a.grantor))
                     ELSE h.way END,
        CASE WHEN h.depth > 0 THEN h.remedy
             ELSE format('SET LOCAL ROLE %%I; REVOKE CREATE ON SCHEMA %%I FROM %%s; RESET ROLE',
                         pg_catalog.pg_get_userbyid(a.grantor), n.nspname,
                         CASE WHEN h.depth = 0 THEN quote_ident(pg_catalog.pg_get_userbyid(h.subject)) ELSE 'PUBLIC' END)
        END,
        CASE WHEN h.depth > 0 THEN h.done
             ELSE format('revoked CREATE ON SCHEMA %%s FROM %%s (granted by %%s)', n.nspname,
                         CASE WHEN h.depth = 0 THEN pg_catalog.pg_get_userbyid(h.subject) ELSE 'PUBLIC' END,
                         pg_catalog.pg_get_userbyid(a.grantor))
        END
    FROM holders AS h
    JOIN pg_catalog.pg_namespace AS n ON n.nspname = %(pipeline_schema)s
    CROSS JOIN LATERAL pg_catalog.aclexplode(coalesce(n.nspacl, pg_catalog.acldefault('n', n.nspowner))) AS a
    CROSS JOIN setup AS x
    WHERE a.grantee = h.holder AND a.privilege_type = 'CREATE' AND a.grantee <> n.nspowner
      AND h.holder IS DISTINCT FROM x.owner_role
      AND NOT (h.holder = x.pipeline_role AND a.grantor IN (n.nspowner, x.administrator))
    UNION ALL
    -- Acting as the pipeline schema's owner, or as a role of the database's that writes anything.
    SELECT h.subject, 'act as', CASE WHEN h.holder = x.owner_role
                                     THEN format('the pipeline schema''s owner role %%s', r.rolname)
                                     ELSE format('%%s (it writes or locks every table)', r.rolname) END,
        h.way, h.remedy, h.done
    FROM holders AS h
    JOIN pg_catalog.pg_roles AS r ON r.oid = h.holder
    CROSS JOIN setup AS x
    WHERE h.depth > 0 AND (h.holder = x.owner_role OR r.rolname IN (
        'pg_write_all_data', 'pg_maintain', 'pg_write_server_files', 'pg_execute_server_program'
    ))
    UNION ALL
    -- SUPERUSER, CREATEROLE or BYPASSRLS, of the role itself or of a role it may act as.
    SELECT h.subject, 'act as', format('a %%s role', attribute.name), coalesce(nullif(h.way, ''), '(its own attribute)'),
        CASE WHEN h.depth = 0 THEN format('ALTER ROLE %%I NO%%s', r.rolname, attribute.name) ELSE h.remedy END,
        CASE WHEN h.depth = 0 THEN format('made %%s NO%%s', r.rolname, attribute.name) ELSE h.done END
    FROM holders AS h
    JOIN pg_catalog.pg_roles AS r ON r.oid = h.holder
    CROSS JOIN LATERAL (VALUES ('SUPERUSER', r.rolsuper), ('CREATEROLE', r.rolcreaterole), ('BYPASSRLS', r.rolbypassrls))
        AS attribute (name, held)
    WHERE attribute.held
)
SELECT pg_catalog.pg_get_userbyid(f.subject) AS subject, string_agg(DISTINCT f.privilege, ', ' ORDER BY f.privilege) AS privileges,
       f.object, coalesce(f.way, '') AS way, string_agg(DISTINCT f.remedy, '; ') AS remedy,
       string_agg(DISTINCT f.done, '; ') AS done
FROM findings AS f
GROUP BY f.subject, f.object, f.way, f.remedy IS NULL
ORDER BY 1, 3, 4
