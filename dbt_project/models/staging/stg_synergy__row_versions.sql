-- Every version of the Synergy rows counted by silver_synergy_history, with its validity range
-- across extracts (_valid_from / _valid_to, macro synergy_as_of) and the typed fields the
-- history needs: a plan's start and cease dates, a placement's entry and leaving dates and SRP
-- flag. Nothing else, so no identifier leaves bronze.
{% set counted = [('person', 'synergy_person'), ('request', 'synergy_request'),
                  ('annual_review', 'synergy_annual_review')] %}
{% for entity, table in counted %}
select
    '{{ entity }}' as entity, _valid_from, _valid_to,
    cast(null as date) as start_date, cast(null as date) as end_date,
    cast(null as boolean) as is_resourced_provision
from {{ source('bronze', table) }}
union all
{% endfor %}
select
    'named_plan' as entity, _valid_from, _valid_to,
    {{ parse_date('start_date') }} as start_date, {{ parse_date('cease_date') }} as end_date,
    cast(null as boolean) as is_resourced_provision
from {{ source('bronze', 'synergy_named_plan') }}
union all
select
    'placement' as entity, _valid_from, _valid_to,
    {{ parse_date('entry_date') }} as start_date, {{ parse_date('leaving_date') }} as end_date,
    {{ parse_flag('resourced_provision_indicator') }} as is_resourced_provision
from {{ source('bronze', 'synergy_placement') }}
