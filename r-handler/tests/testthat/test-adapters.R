# Model adapters: the default method on classes no adapter knows (S3 and S4), the family
# methods, the types a predict() method declares, and what a type's name must deliver.

# An S3 model class no adapter knows, with its predict() method in the global environment.
toy_line <- function() structure(list(slope = 2), class = "toyline")
predict.toyline <- function(object, newdata, type = c("response", "half", "parts"), ...) {
  type <- match.arg(type)
  y <- object$slope * newdata$x
  switch(type, response = y, half = list(fit = y / 2, se = rep(0, length(y))),
         parts = cbind(a = y, b = -y))
}
registerS3method("predict", "toyline", predict.toyline)

# An S4 model class with its own predict() method: no list to read with `$`.
setClass("ToyScale", representation(factor = "numeric"))
setMethod("predict", "ToyScale", function(object, newdata, type = "response", ...) {
  if (identical(type, "twice")) return(2 * object@factor * newdata$x)
  if (type != "response") stop("unknown type")
  object@factor * newdata$x
})

rows <- data.frame(x = c(1, 2.5, 4, 8, 10))

test_that("the default adapter finds the types a method declares and calls predict() for each", {
  found <- discover_types(toy_line(), rows)
  expect_identical(names(found$types), c("response", "half"))
  expect_identical(found$default, "response")
  expect_identical(found$types$half$values, c(1, 2.5, 4, 8, 10))
  # "parts" gives two unnamed-by-class numbers per row: not a prediction per row, so not offered.
  expect_false("parts" %in% names(found$types))
  # A type the publisher names is kept whatever it gives, and fails with R's message.
  named <- discover_types(toy_line(), rows, declared = "parts")
  expect_identical(output_kind(named$types$parts$values)$kind, "values")
  expect_error(discover_types(toy_line(), rows, declared = "quarter"), "'quarter' failed on the example rows: .*should be one of")
})

test_that("an S4 model is called through the S4 generic, its types found, and no $ is used on it", {
  model <- new("ToyScale", factor = 3)
  expect_identical(predict_call(model, rows), 3 * rows$x)
  expect_null(model_member(model, "factor"))
  found <- discover_types(model, rows)
  expect_identical(names(found$types), c("response", "twice"))
  described <- describe_model(model, NULL, data.frame(x = rows$x, y = 3 * rows$x), response = "y")
  expect_identical(vapply(described$schema$features, `[[`, "", "name"), "x")
  expect_identical(described$scorer$fn(rows, "twice"), 6 * rows$x)
})

test_that("declared types come from the type argument's choices and the body's tests of it", {
  f <- function(object, newdata, type = c("link", "response"), ...) {
    if (tolower(type) == "prob") 1
    if (type %in% c("class", "votes")) 2
    switch(type, terms = , lpmatrix = 3)
    out <- charmatch(type, c("raw", "node"))
    identical(type, "se")
  }
  expect_identical(declared_types(f), c("link", "response", "prob", "class", "votes", "terms", "lpmatrix", "raw", "node", "se"))
  expect_identical(declared_types(function(object, ...) NULL), character())
  expect_identical(declared_types(NULL), character())
})

test_that("a type named for classes or probabilities must give them", {
  set.seed(1)
  forest <- randomForest::randomForest(mpg ~ wt + hp, data = mtcars, ntree = 10)
  # predict.randomForest takes type = "class" for a regression forest and returns numbers.
  expect_identical(names(discover_types(forest, mtcars[1:5, c("wt", "hp")])$types), "response")
  one_class <- list(spec = type_spec("prob"), kind = list(kind = "numeric"), values = c(0.2, 0.9))
  expect_true(fits_name("prob", one_class))
  expect_false(fits_name("prob", modifyList(one_class, list(values = c(12, 30)))))
  expect_false(fits_name("class", one_class))
})

test_that("a list prediction with no type argument offers one type per usable member", {
  model <- MASS::lda(Species ~ ., data = iris)
  found <- discover_types(model, iris[c(1, 51, 101), 1:4])
  expect_identical(names(found$types), c("class", "posterior"))
  expect_identical(found$types$posterior$spec$field, "posterior")
  expect_null(found$types$posterior$spec$type)
})

test_that("the glmnet adapter predicts from a matrix at the cv.glmnet penalty, and refuses a whole path", {
  x <- as.matrix(mtcars[, c("wt", "hp", "qsec")])
  set.seed(1)
  cv <- glmnet::cv.glmnet(x, mtcars$mpg, nfolds = 4)
  expect_identical(model_inputs(cv), c("wt", "hp", "qsec"))
  newdata <- mtcars[1:3, c("qsec", "hp", "wt")]
  expect_identical(adapter_predict(cv, newdata, type_spec("response")), predict(cv, x[1:3, ], type = "response"))
  path <- glmnet::glmnet(x, mtcars$mpg)
  expect_error(adapter_predict(path, newdata, type_spec("response")), "path of [0-9]+ penalties: publish a cv.glmnet")
})

test_that("the e1071 adapter offers class probabilities and decision values from predict()'s attributes", {
  set.seed(1)
  model <- e1071::svm(Species ~ ., data = iris, probability = TRUE)
  expect_identical(vapply(adapter_types(model), `[[`, "", "name"), c("response", "probabilities", "decision"))
  probs <- adapter_predict(model, iris[1:2, 1:4], type_spec("probabilities"))
  expect_identical(probs, attr(predict(model, iris[1:2, 1:4], probability = TRUE), "probabilities"))
  expect_identical(model_inputs(e1071::naiveBayes(Species ~ ., data = iris)), names(iris)[1:4])
})

test_that("models fitted on x and y name their inputs from what they keep", {
  set.seed(1)
  expect_identical(model_inputs(randomForest::randomForest(iris[, 1:4], iris$Species, ntree = 5)), names(iris)[1:4])
  expect_identical(model_inputs(ranger::ranger(x = iris[, 1:4], y = iris$Species, num.trees = 5)), names(iris)[1:4])
  expect_identical(model_inputs(nlme::lme(distance ~ age, random = ~ 1 | Subject, data = nlme::Orthodont)), c("age", "Subject"))
})

# A model fitted on a matrix that predicts from nothing else.
predict.toymatrix <- function(object, newdata, ...) {
  if (!is.matrix(newdata)) stop("newdata must be a matrix")
  drop(newdata %*% object$beta)
}
registerS3method("predict", "toymatrix", predict.toymatrix)

test_that("a model fitted on a matrix is given its rows as one, and model.json says so", {
  model <- structure(list(beta = c(2, -1)), class = "toymatrix")
  described <- describe_model(model, NULL, data.frame(a = 1:5 / 2, b = 5:1, y = 0), response = "y")
  expect_identical(described$schema$output$types$response$call$newdata, "matrix")
  spec <- schema_specs(jsonlite::fromJSON(schema_json(described$schema), simplifyVector = TRUE, simplifyDataFrame = FALSE))
  expect_true(spec$response$matrix)
  expect_identical(described$scorer$fn(data.frame(a = 1, b = 1), "response"), 1)
})

test_that("rows reach a method by the name it takes them by", {
  set.seed(1)
  forest <- suppressWarnings(party::cforest(Species ~ ., data = iris, controls = party::cforest_unbiased(ntree = 5, mtry = 2)))
  expect_identical(newdata_arg(forest), "newdata")
  expect_identical(newdata_arg(ranger::ranger(Species ~ ., data = iris, num.trees = 5)), "data")
  expect_identical(newdata_arg(lm(mpg ~ wt, data = mtcars)), "newdata")
})

test_that("the pls adapter predicts with every component the model was fitted with", {
  model <- pls::plsr(mpg ~ wt + hp + qsec, ncomp = 2, data = mtcars)
  expect_identical(adapter_predict(model, mtcars[1:3, ], type_spec("response")), predict(model, mtcars[1:3, ], ncomp = 2))
})

test_that("the party adapter names each row's class probabilities by the classes", {
  model <- party::ctree(Species ~ ., data = iris)
  probs <- adapter_predict(model, iris[c(1, 101), ], type_spec("prob"))
  expect_identical(names(probs[[2]]), levels(iris$Species))
  expect_identical(colnames(prediction_values(probs, 2L)), levels(iris$Species))
  expect_identical(model_inputs(model), names(iris)[1:4])
})

test_that("a PCA, whose only prediction is several named numbers a row, offers them", {
  found <- discover_types(prcomp(USArrests, scale. = TRUE), USArrests[1:5, ])
  expect_identical(names(found$types), "response")
  expect_identical(output_kind(found$types$response$values), list(kind = "values", columns = I(c("PC1", "PC2", "PC3", "PC4"))))
})

test_that("a ridge regression's inputs are the columns it kept the means of", {
  expect_identical(model_inputs(MASS::lm.ridge(mpg ~ wt + hp, data = mtcars)), c("wt", "hp"))
})

test_that("types that fail on one row are tried again with padding rows holding every level, kept only when that offers more", {
  d <- as.data.frame(nlme::Orthodont)[, c("distance", "age", "Sex")]
  d$Sex <- as.character(d$Sex)
  features <- list(list(name = "age", type = "numeric"), list(name = "Sex", type = "factor", levels = I(c("Female", "Male"))))
  rows <- coerce_frame(d[c(1, 2, 65, 66), ], features)
  padding <- level_padding(rows[1L, , drop = FALSE], features)
  gls <- nlme::gls(distance ~ age + Sex, data = d)
  found <- discover_types(gls, rows, padding = padding)
  expect_identical(found$padding, padding)
  expect_identical(found$types$response$values, as.vector(predict(gls, rows)))
  expect_error(discover_types(gls, rows), "2 or more levels")
  plain <- lm(distance ~ age + Sex, data = d)
  expect_null(discover_types(plain, rows, padding = padding)$padding)
})
