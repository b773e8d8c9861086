-- Outcomes sheet of every return, typed (one row per submission).
select * from {{ ref('stg_returns__outcomes') }}
