{{ config(**incremental_config('report_date')) }}
-- One row per GA4 report day: whether GA4 withheld, merged or sampled rows of that day's report
-- (the latest landing of the day). Incremental like stg_ga4__sessions (one report per day).
-- Before the GA4 extract lands this dataset there is no file to read: no row (DECISIONLOG).
with

{%- if landing_dataset_landed('ga4', 'report_metadata') %}

    ranked as (

        select
            date as report_date,
            subject_to_thresholding,
            data_loss_from_other_row,
            is_sampled,
            _partition_date,
            {{ to_timestamptz('_extracted_at') }} as _extracted_at,
            row_number() over (
                partition by date order by _partition_date desc, _extracted_at desc
            ) as version_rank
        from {{ landing_source('ga4', 'report_metadata') }}
        where {{ in_landing_window() }}

    )
{%- else %}

    ranked as (

        select
            cast(null as date) as report_date,
            cast(null as boolean) as subject_to_thresholding,
            cast(null as boolean) as data_loss_from_other_row,
            cast(null as boolean) as is_sampled,
            cast(null as date) as _partition_date,
            {{ to_timestamptz('null') }} as _extracted_at,
            1 as version_rank
        where false

    )
{%- endif %}

select
    report_date,
    subject_to_thresholding,
    data_loss_from_other_row,
    is_sampled,
    _partition_date,
    _extracted_at
from ranked
where version_rank = 1
