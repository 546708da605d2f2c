"""An MNIST learning app: explore the digits, train the lab's Keras models, sketch and predict."""
