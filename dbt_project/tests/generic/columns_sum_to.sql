{#- Fails with the rows where the `columns` (e.g. the destination counts of a cohort) do not
    add up to `total`. -#}
{% test columns_sum_to(model, columns, total) %}
select *
from {{ model }}
where coalesce({{ columns | join(', 0) + coalesce(') }}, 0) <> {{ total }}
{% endtest %}
