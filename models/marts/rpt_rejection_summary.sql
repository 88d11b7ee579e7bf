{#- Per raw file: rows read, rows rejected (by ingest or in the warehouse), and the
    share. A test at error severity stops the build above `max_rejected_share`. -#}

with

rejected as (

    select * from {{ ref('rpt_rejected_records') }}

),

landed as (

    select
        'tickets.csv' as source_file,
        count(*) as rows_landed
    from {{ ref('base_landing__tickets') }}
    union all
    select
        'ages.csv' as source_file,
        count(*) as rows_landed
    from {{ ref('base_landing__participants') }}
    union all
    select
        'show.csv' as source_file,
        count(*) as rows_landed
    from {{ ref('base_landing__events') }}
    union all
    select
        'visit.csv' as source_file,
        count(*) as rows_landed
    from {{ ref('base_landing__visits') }}

),

rejected_by_file as (

    select
        source_file,
        count(case when rejected_by = 'ingest' then 1 end) as rows_rejected_by_ingest,
        count(case when rejected_by = 'warehouse' then 1 end) as rows_rejected_in_warehouse

    from rejected
    group by source_file

),

final as (

    select
        landed.source_file,
        landed.rows_landed + coalesce(rejected_by_file.rows_rejected_by_ingest, 0) as rows_read,
        coalesce(rejected_by_file.rows_rejected_by_ingest, 0) as rows_rejected_by_ingest,
        coalesce(rejected_by_file.rows_rejected_in_warehouse, 0) as rows_rejected_in_warehouse,
        cast(
            coalesce(rejected_by_file.rows_rejected_by_ingest, 0) + coalesce(rejected_by_file.rows_rejected_in_warehouse, 0)
            as double
        ) / nullif(landed.rows_landed + coalesce(rejected_by_file.rows_rejected_by_ingest, 0), 0) as rejected_share

    from landed
    left join rejected_by_file
        on landed.source_file = rejected_by_file.source_file

)

select * from final
