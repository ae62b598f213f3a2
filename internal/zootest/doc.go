// Package zootest gives tests and benchmarks the zoo's models ready to run:
// built with seeded weights (models.Model.Load with no weights) and
// compiled for the fp32 reference engine.
package zootest
