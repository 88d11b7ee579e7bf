{#- Every landed event row, ranked within its ID (rank 1 wins). -#}
with

source as (

    select * from {{ source('landing', 'show') }}

),

renamed as (

    select
        cast(id_show as {{ dbt.type_string() }}) as event_id,
        lower(trim(cast(kind_of_show as {{ dbt.type_string() }}))) as organisation_type_raw,
        lpad(cast(region as {{ dbt.type_string() }}), 2, '0') as region_code,
        cast(_source_line as {{ dbt.type_bigint() }}) as source_line_number

    from source

),

final as (

    select
        *,
        row_number() over (partition by event_id order by source_line_number) as duplicate_rank

    from renamed

)

select * from final
