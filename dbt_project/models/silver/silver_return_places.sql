-- Places rows of school returns, typed, one per submission x designation.
select * from {{ ref('stg_returns__places') }}
