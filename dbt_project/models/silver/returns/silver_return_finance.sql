-- Finance sheet of every return, typed (one row per submission), with income and spending totals.
{% set income = ['place_funding', 'top_up', 'other'] %}
{% set spend = ['teaching_staff', 'support_staff', 'therapies', 'resources', 'training', 'other'] %}
with typed as (
    select
        _sha256 as submission_id,
        {%- for item in income %}
        coalesce({{ to_number('income_' ~ item) }}, 0) as income_{{ item }}_gbp,
        {%- endfor %}
        {%- for item in spend %}
        coalesce({{ to_number('spend_' ~ item) }}, 0) as spend_{{ item }}_gbp,
        {%- endfor %}
        {{ to_number('fte_teachers') }} as fte_teachers,
        {{ to_number('fte_teaching_assistants') }} as fte_teaching_assistants
    from {{ source('bronze', 'return_finance') }}
)

select
    *,
    {% for item in income %}income_{{ item }}_gbp{{ ' + ' if not loop.last }}{% endfor %} as income_total_gbp,
    {% for item in spend %}spend_{{ item }}_gbp{{ ' + ' if not loop.last }}{% endfor %} as spend_total_gbp
from typed
