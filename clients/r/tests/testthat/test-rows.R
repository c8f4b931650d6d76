test_that("rows go as JSON records: factors as strings, NA as null, doubles exact", {
  df <- data.frame(x = c(0.1 + 0.2, NA), n = c(1L, NA), f = factor(c("a", NA)), l = c(TRUE, NA), s = c("q\"uote", NA))
  json <- rscoring:::rows_json(df, type = "prob")
  expect_identical(json, paste0('{"data":[{"x":0.30000000000000004,"n":1,"f":"a","l":true,"s":"q\\"uote"},',
                                '{"x":null,"n":null,"f":null,"l":null,"s":null}],"type":"prob"}'))
})

test_that("row names are sent in \"_row\" only when they are the rows' own", {
  df <- data.frame(x = 1:3)
  expect_false(rscoring:::has_own_row_names(df))
  expect_false(rscoring:::has_own_row_names(df[1:2, , drop = FALSE]))
  expect_true(rscoring:::has_own_row_names(df[c(3, 1), , drop = FALSE]))
  expect_true(rscoring:::has_own_row_names(mtcars))
  expect_match(rscoring:::rows_json(df[c(3, 1), , drop = FALSE], row_names = TRUE), '"_row":"3"', fixed = TRUE)
  expect_false(grepl("_row", rscoring:::rows_json(df)))
})

test_that("CSV rows are write.csv's, with exact doubles and the row names first", {
  df <- data.frame(x = c(0.1 + 0.2, NA), f = factor(c("a,b", NA)), l = c(TRUE, FALSE), row.names = c("r1", "r\"2"))
  path <- tempfile(fileext = ".csv")
  rscoring:::write_rows_csv(df, path)
  expect_identical(readLines(path), c('"","x","f","l"', '"r1",0.30000000000000004,"a,b",TRUE', '"r""2",NA,NA,FALSE'))
  back <- utils::read.csv(path, row.names = 1)
  expect_identical(rownames(back), rownames(df))
})

test_that("results CSV is read exactly, in input order, typed by the model's output", {
  path <- tempfile(fileext = ".csv")
  writeLines(c("row,rowName,prediction", "1,b,Gentoo", "0,a,Adelie", "2,,"), path)
  out <- rscoring:::read_results_csv(path, list(kind = "class", classes = c("Adelie", "Chinstrap", "Gentoo")))
  expect_identical(out$row, 1:3)
  expect_identical(out$rowName, c("a", "b", NA))
  expect_identical(out$prediction, factor(c("Adelie", "Gentoo", NA), levels = c("Adelie", "Chinstrap", "Gentoo")))
  writeLines(c("row,Adelie,Gentoo", "0,0.30000000000000004,0.7"), path)
  out <- rscoring:::read_results_csv(path, list(kind = "probabilities", classes = c("Adelie", "Gentoo")))
  expect_identical(out$Adelie, 0.1 + 0.2)
})

test_that("predictions take R's shapes", {
  expect_identical(rscoring:::shape_predictions(list(1.5, NULL), list(kind = "numeric"), c("a", "b")), c(a = 1.5, b = NA))
  f <- rscoring:::shape_predictions(list("y", NULL), list(kind = "class", classes = c("x", "y")))
  expect_identical(levels(f), c("x", "y"))
  expect_identical(as.character(f), c("y", NA))
  df <- rscoring:::shape_predictions(list(list(x = 0.25, y = 0.75), list(x = 1, y = 0)), list(kind = "probabilities", classes = c("x", "y")), c("r1", "r2"))
  expect_identical(df, data.frame(x = c(0.25, 1), y = c(0.75, 0), row.names = c("r1", "r2")))
})
