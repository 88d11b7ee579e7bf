with

source as (

    select * from {{ source('landing', 'quarantine') }}

),

final as (

    select
        cast(source_file as {{ dbt.type_string() }}) as source_file,
        cast(line_number as {{ dbt.type_bigint() }}) as source_line_number,
        cast(reason as {{ dbt.type_string() }}) as reason,
        cast(raw_record as {{ dbt.type_string() }}) as raw_record

    from source

)

select * from final
