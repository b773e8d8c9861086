{#- Fails with the groups (`group_by` columns) whose shares in `share_column` do not add up to 1
    within `tolerance` (rounding). Groups whose shares are all NULL (nothing to share) pass. -#}
{% test shares_sum_to_one(model, share_column, group_by, tolerance=0.001) %}
select {{ group_by | join(', ') }}, sum({{ share_column }}) as total_share
from {{ model }}
group by {{ group_by | join(', ') }}
having count({{ share_column }}) > 0
   and abs(sum({{ share_column }}) - 1) > {{ tolerance }}
{% endtest %}
