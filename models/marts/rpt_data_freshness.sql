with

data_as_of as (

    select * from {{ ref('int_data_as_of') }}

),

final as (

    select
        as_of_date,
        first_purchased_on,
        last_purchased_on,
        last_visited_on

    from data_as_of

)

select * from final
