package org.shampoo4j.bench.model;

import ai.djl.Device;
import ai.djl.MalformedModelException;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;

/**
 * Batch normalisation over dimension 1 (channels) of an NCHW input, the block DJL's {@code
 * BatchNorm} builds by default, with its parameters, defaults (ε = 1e-5, momentum 0.9), version and
 * saved bytes, so that models and checkpoints made with either load into the other. The difference
 * is the call: DJL's PyTorch engine implements {@code BatchNorm}'s axis by swapping it to dimension
 * 1 and back around libtorch's {@code batch_norm} (two transposes and a sub-manager per call, and
 * two more autograd nodes), even when the axis is 1 already; this passes the input straight to
 * {@code batch_norm}, which normalises dimension 1, through the engine's axis −1 path. On DJL's
 * PyTorch engine only (another engine reads −1 as the last axis). It keeps DJL's class name
 * because a {@code SequentialBlock} names its children by class name: the blocks' paths, and so
 * the parameter names in optimizer checkpoints and reports, stay those of models built with DJL's
 * {@code BatchNorm}.
 */
final class BatchNorm extends AbstractBlock {
  // DJL's BatchNorm writes version 2; the same number keeps saved models interchangeable.
  private static final byte VERSION = 2;
  private static final float EPSILON = 1e-5f;
  private static final float MOMENTUM = 0.9f;

  private final Parameter gamma;
  private final Parameter beta;
  private final Parameter runningMean;
  private final Parameter runningVar;
  private long inChannels;

  BatchNorm() {
    super(VERSION);
    gamma = addParameter(Parameter.builder().setName("gamma").setType(Parameter.Type.GAMMA)
        .optRequiresGrad(true).build());
    beta = addParameter(Parameter.builder().setName("beta").setType(Parameter.Type.BETA)
        .optRequiresGrad(true).build());
    runningMean = addParameter(Parameter.builder().setName("runningMean")
        .setType(Parameter.Type.RUNNING_MEAN).optRequiresGrad(false).build());
    runningVar = addParameter(Parameter.builder().setName("runningVar")
        .setType(Parameter.Type.RUNNING_VAR).optRequiresGrad(false).build());
  }

  @Override
  protected NDList forwardInternal(ParameterStore parameterStore, NDList inputs,
      boolean training, PairList<String, Object> params) {
    NDArray input = inputs.singletonOrThrow();
    Device device = input.getDevice();
    return input.getNDArrayInternal().batchNorm(input,
        parameterStore.getValue(runningMean, device, training),
        parameterStore.getValue(runningVar, device, training),
        parameterStore.getValue(gamma, device, training),
        parameterStore.getValue(beta, device, training),
        -1, MOMENTUM, EPSILON, training);
  }

  @Override
  public Shape[] getOutputShapes(Shape[] inputShapes) {
    return new Shape[] {inputShapes[0]};
  }

  @Override
  protected void beforeInitialize(Shape... inputShapes) {
    super.beforeInitialize(inputShapes);
    inChannels = inputShapes[0].get(1);
  }

  @Override
  public void prepare(Shape[] inputShapes) {
    gamma.setShape(new Shape(inChannels));
    beta.setShape(new Shape(inChannels));
    runningMean.setShape(new Shape(inChannels));
    runningVar.setShape(new Shape(inChannels));
  }

  @Override
  protected void saveMetadata(DataOutputStream os) throws IOException {
    saveInputShapes(os);
    os.writeLong(inChannels);
  }

  @Override
  public void loadMetadata(byte loadVersion, DataInputStream is)
      throws IOException, MalformedModelException {
    if (loadVersion == VERSION) {
      readInputShapes(is);
    } else if (loadVersion != 1) {
      throw new MalformedModelException("Unsupported encoding version: " + loadVersion);
    }
    inChannels = is.readLong();
  }
}
