# Rolling a version out by weight, shadowing another, and watching both: admin calls for
# the moves (the master key), a function key for the monitoring.

test_that("a rollout splits traffic, a subject stays on one version, and the monitoring shows it", {
  ep <- live_endpoint()
  skip_if(is.null(ep$secrets$admin_key), "RSCORING_ADMIN_KEY is not set: admin calls are not tested")
  name <- paste0("rscoring-rollout-", paste(sample(letters, 6, TRUE), collapse = ""))
  fit1 <- fit_at_top_level(lm(mpg ~ wt + hp, data = mtcars))
  fit2 <- fit_at_top_level(lm(mpg ~ wt + hp + qsec, data = mtcars))
  publish_model(ep, fit1, name, "1", prototype = mtcars, aliases = "production")
  publish_model(ep, fit2, name, "2", prototype = mtcars)
  publish_model(ep, fit1, name, "3", prototype = mtcars)

  move <- set_traffic(ep, name, c("1" = 50, "2" = 50), shadow = "3", shadow_percent = 100)
  expect_equal(unlist(move$traffic$versions), c(`1` = 50, `2` = 50))
  expect_error(set_traffic(ep, name, c("1" = 50, "9" = 50)), class = "rscoring_version_not_found")
  expect_error(set_traffic(ep, name, c(50, 50)), "named weights")

  served <- function(subject = NULL) attr(predict(ep, mtcars[1:3, ], model = name, subject = subject), "model_version")
  expect_true(eventually(function() length(unique(replicate(20, served()))) == 2L))
  for (subject in c("customer-1", "customer-2", "customer-3")) {
    expect_length(unique(replicate(5, served(subject))), 1L)
  }

  watched <- function() model_monitoring(ep, name, version = "production", window = "15m")
  expect_true(eventually(function() {
    m <- watched()
    !is.null(m$shadow) && any(m$shadow$version == "1" & m$shadow$shadow == "3" & m$shadow$requests > 0)
  }))
  m <- watched()
  expect_setequal(m$versions$version, c("1", "2", "3"))
  expect_true(all(m$versions$requests[m$versions$version %in% c("1", "2")] > 0))
  # Version 3 is version 1's model: where 1 served, the shadow agrees on every row.
  expect_identical(m$shadow$agreement[m$shadow$version == "1" & m$shadow$shadow == "3"], 1)
  expect_true(all(c("wt", "hp") %in% m$features$feature))
  expect_true(all(c("version", "feature", "bin", "reference", "live") %in% names(m$bins)))

  promote(ep, name, "1")
  expect_true(eventually(function() all(replicate(10, served()) == "1")))
})
