select unit_price
    from "c360"."staging"."stg_shop__transactions"
    where unit_price is not null
      and (
        false
        or unit_price < 0
      )
