with

tickets as (

    select * from {{ ref('stg_landing__tickets') }}

),

visits as (

    select * from {{ ref('stg_landing__visits') }}

),

final as (

    select
        {{ as_of_date_sql(ref('stg_landing__tickets'), ref('stg_landing__visits')) }} as as_of_date,
        (select min(purchased_on) from tickets) as first_purchased_on,
        (select max(purchased_on) from tickets) as last_purchased_on,
        (select max(visited_on) from visits) as last_visited_on

)

select * from final
