-- Academic years (1 Sep - 31 Aug) with their January census day (third Thursday of January).
with years as (
    {{ integer_series(2010, 2040, 'academic_year_start') }}
)

select
    academic_year_start,
    cast(academic_year_start as {{ dbt.type_string() }}) || '/'
        || right(cast(academic_year_start + 1 as {{ dbt.type_string() }}), 2) as academic_year,
    make_date(academic_year_start, 9, 1) as start_date,
    make_date(academic_year_start + 1, 8, 31) as end_date,
    {{ census_day('academic_year_start') }} as census_date
from years
