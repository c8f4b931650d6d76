# Every model of the zoo offers the prediction types it should, and each type scores
# through the handler (model.json written and read back, the request parsed and coerced,
# the answer written) equal to the plain R call, to the last bit: several rows, and one.

for (z in zoo) local({
  z <- z
  test_that(sprintf("%s (%s): types %s, each equal to predict()", z$name, z$package, paste(names(z$types), collapse = ", ")), {
    expect_false(inherits(z$described, "error"), info = if (inherits(z$described, "error")) conditionMessage(z$described))
    schema <- z$described$schema
    expect_setequal(names(schema$output$types), names(z$types))
    expect_identical(schema$output$defaultType, z$default)
    svc <- load_service(new_service(z$dir))
    expect_identical(svc$state, "ready", info = svc$error)
    for (type in names(z$types)) {
      for (rows in list(z$rows, z$rows[1L, , drop = FALSE])) {
        out <- score_route(svc, columns_body(rows, type))
        expect_identical(out$status, 200L, info = paste(type, out$body))
        expect_identical(predictions_text(out), expected_json(z$types[[type]](z$model, rows)), info = type)
      }
    }
  })
})

test_that("the zoo covers at least 60 model families from at least 30 packages", {
  expect_gte(length(zoo), 60L)
  expect_gte(length(setdiff(unique(vapply(zoo, `[[`, "", "package")), "stats")), 30L)
})
