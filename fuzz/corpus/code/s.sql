
CREATE OR REPLACE FUNCTION f() RETURNS int AS $$ select 1 $$;
create table if not exists "t" (x int);
