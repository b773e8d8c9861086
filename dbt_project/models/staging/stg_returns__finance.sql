-- Finance sheet of every return, typed (one row per submission); a blank amount is 0.
{% set income = ['place_funding', 'top_up', 'other'] %}
{% set spend = ['teaching_staff', 'support_staff', 'therapies', 'resources', 'training', 'other'] %}
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
