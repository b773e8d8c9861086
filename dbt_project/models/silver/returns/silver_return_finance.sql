-- Finance sheet of every return, typed (one row per submission), with income and spending totals.
{% set income = ['place_funding', 'top_up', 'other'] %}
{% set spend = ['teaching_staff', 'support_staff', 'therapies', 'resources', 'training', 'other'] %}
select
    *,
    {% for item in income %}income_{{ item }}_gbp{{ ' + ' if not loop.last }}{% endfor %} as income_total_gbp,
    {% for item in spend %}spend_{{ item }}_gbp{{ ' + ' if not loop.last }}{% endfor %} as spend_total_gbp
from {{ ref('stg_returns__finance') }}
