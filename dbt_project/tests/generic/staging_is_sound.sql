{#- What a staging model itself must keep: one row per `key` (its current-version filter) and a
    value in every `required` column after typing (ingestion accepted them as given, so a null
    means a parse_date / to_int lost one). Fails with one row per problem and how many rows
    have it, never the values. Staging models are ephemeral (not Dagster assets): `checked_with`
    names the silver model built from this one, which the test depends on so that Dagster can
    show it as that model's asset check (set the same name in config meta dagster ref). -#}
{% test staging_is_sound(model, key, required, checked_with) %}
-- depends_on: {{ ref(checked_with) }}
with staged as (
    select * from {{ model }}
),

problems as (
    select 'more than one row per {{ key | join(", ") }}' as problem, count(*) as occurrences
    from (
        select {{ key | join(', ') }}
        from staged
        group by {{ key | join(', ') }}
        having count(*) > 1
    ) as duplicated
    {%- for column in required %}
    union all
    select 'no {{ column }} after typing', count(*) from staged where {{ column }} is null
    {%- endfor %}
)

select problem, occurrences from problems where occurrences > 0
{% endtest %}
