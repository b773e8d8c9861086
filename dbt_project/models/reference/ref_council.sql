-- The configured council (one row): DfE LA code, name (the county row's key), region.
select la_code, la_name, full_name, region, config_file
from {{ ref('stg_council__la') }}
