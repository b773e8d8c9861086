{#- For a table served at several levels: the sum of `measure` over the rows of each level
    (restricted by `where` for roll-ups) must equal the county figure, per academic year. -#}
{% test sums_match_county(model, measure, rollup_filter) %}
with per_level as (
    select level, academic_year, sum({{ measure }}) as total
    from {{ model }}
    where level = 'school' or ({{ rollup_filter }})
    group by level, academic_year
),

county as (
    select academic_year, total from per_level where level = 'county'
)

select p.level, p.academic_year, p.total, c.total as county_total
from per_level as p
inner join county as c on p.academic_year = c.academic_year
where p.total <> c.total
{% endtest %}
