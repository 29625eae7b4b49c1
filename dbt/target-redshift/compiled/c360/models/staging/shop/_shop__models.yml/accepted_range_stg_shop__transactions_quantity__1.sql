select quantity
    from "c360"."staging"."stg_shop__transactions"
    where quantity is not null
      and (
        false
        or quantity < 1
      )
