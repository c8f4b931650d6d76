# Publishing, promoting, rolling back and deleting versions: admin calls (the master key),
# against routes being built; skipped where the app does not have them yet.

served_version <- function(ep, name, rows) attr(predict(ep, rows, model = name), "model_version")

test_that("publish, promote, roll back and delete versions from R", {
  ep <- live_endpoint()
  skip_without_admin(ep)
  name <- paste0("rscoring-test-", format(Sys.time(), "%H%M%S"), "-", paste(sample(letters, 4, TRUE), collapse = ""))
  fit1 <- fit_at_top_level(lm(mpg ~ wt + hp, data = mtcars))
  fit2 <- fit_at_top_level(lm(mpg ~ wt + hp + qsec, data = mtcars))

  v1 <- publish_model(ep, fit1, name, "1", prototype = mtcars, aliases = "production")
  expect_identical(v1$name, name)
  expect_identical(v1$version, "1")
  expect_setequal(vapply(v1$features, `[[`, "", "name"), c("wt", "hp"))
  v2 <- publish_model(ep, fit2, name, "2", prototype = mtcars)
  expect_identical(v2$version, "2")
  expect_error(publish_model(ep, fit2, name, "2", prototype = mtcars), class = "rscoring_version_exists")

  expect_true(eventually(function() {
    v <- model_versions(ep, name)
    identical(v$version, c("1", "2")) && identical(v$aliases, c("production", "latest")) && identical(v$default, c(TRUE, FALSE))
  }))
  p <- predict(ep, mtcars, model = name)
  expect_identical(attr(p, "model_version"), "1")
  expect_identical(without_version(p), predict(fit1, mtcars))
  expect_identical(without_version(predict(ep, mtcars, model = name, version = "2")), predict(fit2, mtcars))

  promote(ep, name, "2")
  expect_true(eventually(function() identical(served_version(ep, name, mtcars[1:3, ]), "2")))
  expect_message(rollback(ep, name), "back from version 2 to 1")
  expect_true(eventually(function() identical(served_version(ep, name, mtcars[1:3, ]), "1")))

  expect_error(delete_version(ep, name, "1"), class = "rscoring_version_in_use")
  promote(ep, name, "2")
  expect_true(delete_version(ep, name, "1"))
  expect_true(eventually(function() identical(model_versions(ep, name)$version, "2")))
  expect_error(predict(ep, mtcars[1:2, ], model = name, version = "1"), class = "rscoring_version_not_found")
})

test_that("a score() function is published as score.R; force replaces a version", {
  ep <- live_endpoint()
  skip_without_admin(ep)
  name <- paste0("rscoring-test-score-", paste(sample(letters, 6, TRUE), collapse = ""))
  fit <- fit_at_top_level(glm(am ~ wt, data = mtcars, family = binomial))
  score <- function(model, newdata, type = "response") stats::predict(model, newdata, type = "response")
  published <- publish_model(ep, fit, name, "1", prototype = mtcars[c("am", "wt")], score = score, response = "am")
  expect_true(published$customScore)
  expect_identical(without_version(predict(ep, mtcars, model = name)), predict(fit, mtcars, type = "response"))

  republished <- publish_model(ep, fit, name, "1", prototype = mtcars[c("am", "wt")], response = "am", force = TRUE)
  expect_identical(republished$version, "1")
  # The replaced version is served once the app has seen it (its 201 answer and the first
  # predictions after it may still show the old score.R for a moment).
  expect_true(eventually(function() !isTRUE(rscoring:::model_description(ep, name, "1", fresh = TRUE)$customScore)))
  expect_error(rollback(ep, name), class = "rscoring_no_history")
})
