# Trains the sample models, deterministically, and writes each as a model directory
# (model.rds, model.json, score.R where needed, prototype.csv) under the given folder.
#   Rscript r-handler/examples/train.R <out-dir>
suppressPackageStartupMessages({
  library(randomForest)
  library(MASS)
  library(glmnet)
})
local({
  args <- commandArgs(trailingOnly = FALSE)
  file <- sub("^--file=", "", args[grep("^--file=", args)])
  root <- dirname(dirname(normalizePath(file)))
  sys.source(file.path(root, "R", "cli.R"), envir = globalenv())
  source_handler_files(root)
  assign("examples_dir", dirname(normalizePath(file)), envir = globalenv())
})

out_dir <- commandArgs(trailingOnly = TRUE)[1]
if (is.na(out_dir)) out_dir <- file.path(examples_dir, "models")

write_model_dir <- function(name, model, prototype, score = NULL, response = NULL) {
  dir <- file.path(out_dir, name)
  dir.create(dir, recursive = TRUE, showWarnings = FALSE)
  saveRDS(model, file.path(dir, "model.rds"))
  score_path <- NULL
  if (!is.null(score)) {
    score_path <- file.path(dir, "score.R")
    file.copy(file.path(examples_dir, score), score_path, overwrite = TRUE)
  }
  utils::write.csv(prototype, file.path(dir, "prototype.csv"), row.names = FALSE)
  saveRDS(prototype, file.path(dir, "prototype.rds"))
  writeLines(schema_json(describe_model(model, score_path, prototype, response)$schema), file.path(dir, "model.json"))
  message("wrote ", dir)
}

# Boston housing random forest, as in the plumber and ML Server deployment documents.
set.seed(42)
boston_rf <- randomForest(medv ~ ., data = Boston, ntree = 100)
write_model_dir("boston-rf", boston_rf, Boston)

# mtcars ridge regression, as in the Azure ML custom container sample; lm.ridge has no
# predict() method, so it ships a score.R.
mtcars_ridge <- lm.ridge(mpg ~ ., data = mtcars, lambda = 1)
write_model_dir("mtcars-ridge", mtcars_ridge, mtcars, score = "mtcars-ridge-score.R", response = "mpg")

# Palmer penguins species classifier. The data has missing values: training imputes them
# (na.roughfix), and score.R fills missing inputs with the training medians and modes.
penguins <- as.data.frame(palmerpenguins::penguins)
penguin_features <- c("island", "bill_length_mm", "bill_depth_mm", "flipper_length_mm", "body_mass_g", "sex")
penguin_train <- na.roughfix(penguins[, c("species", penguin_features)])
set.seed(42)
penguins_rf <- randomForest(species ~ ., data = penguin_train, ntree = 200)
penguins_rf$fill <- lapply(na.roughfix(penguins[penguin_features])[1, ], identity)
write_model_dir("penguins-rf", penguins_rf, penguins[, c("species", penguin_features)],
                score = "penguins-rf-score.R", response = "species")

# Models the tests use to cover each scoring path.
write_model_dir("mtcars-lm", lm(mpg ~ wt + hp + factor(cyl), data = mtcars), mtcars)
write_model_dir("mtcars-glm", glm(am ~ wt + hp, data = mtcars, family = binomial), mtcars)
boston_x <- as.matrix(Boston[, setdiff(names(Boston), "medv")])
boston_glmnet <- glmnet(boston_x, Boston$medv, alpha = 0.5)
write_model_dir("boston-glmnet", boston_glmnet, Boston, score = "boston-glmnet-score.R", response = "medv")
