test_that("text cells guarded against formula injection read back as they were", {
  cells <- data.frame(row = c("0", "1", "2"), rowName = c("'=HYPERLINK(\"x\")", "''q", "-1.5"), prediction = c("'@SUM(A1)", "Adelie", "'-x"),
                      check.names = FALSE, stringsAsFactors = FALSE)
  names(cells)[3] <- "'=bad"
  out <- rscoring:::unguard_csv_cells(cells)
  expect_identical(names(out), c("row", "rowName", "=bad"))
  expect_identical(out$rowName, c("=HYPERLINK(\"x\")", "'q", "-1.5"))
  expect_identical(out[["=bad"]], c("@SUM(A1)", "Adelie", "-x"))
  expect_identical(nrow(rscoring:::unguard_csv_cells(cells[0, ])), 0L)
})

test_that("a results CSV as the app writes it is read with its text unguarded and its numbers exact", {
  path <- tempfile(fileext = ".csv")
  # As the app writes it (functions/batch/csvCells.ts): guarded text quoted, numbers as they are.
  writeLines(c("row,rowName,\"'=bad\",Gentoo", "0,\"'=HYPERLINK(\"\"http://x\"\")\",-0.5,1.5", "1,\"''quoted\",0.30000000000000004,0", "2,-1,1,2"), path)
  out <- rscoring:::read_results_csv(path, list(kind = "probabilities", classes = c("=bad", "Gentoo")))
  expect_identical(names(out), c("row", "rowName", "=bad", "Gentoo"))
  expect_identical(out$rowName, c("=HYPERLINK(\"http://x\")", "'quoted", "-1"))
  expect_identical(out[["=bad"]], c(-0.5, 0.1 + 0.2, 1))
  writeLines(c("row,prediction", "0,\"'+x\"", "1,Adelie"), path)
  out <- rscoring:::read_results_csv(path, list(kind = "class", classes = c("+x", "Adelie")))
  expect_identical(out$prediction, factor(c("+x", "Adelie"), levels = c("+x", "Adelie")))
})

test_that("row names a spreadsheet would run as formulas come back from a batch as they were sent", {
  ep <- live_endpoint()
  boston <- sample_model("boston-rf")
  newdata <- boston$prototype[1:6, ]
  rownames(newdata) <- c("=HYPERLINK(\"http://evil.example\",\"x\")", "+1+2", "-cmd", "@SUM(A1)", "'quoted", "-1.5")
  done <- wait_batch(ep, submit_batch(ep, newdata, model = "boston-rf", upload = FALSE), timeout = 120)
  expect_identical(done$state, "succeeded")
  results <- batch_results(ep, done)
  expect_identical(results$rowName, rownames(newdata))
  expect_identical(results$prediction, unname(predict(boston$fit, newdata)))
})
