/** Datasets (THEORY.md section 6): Fashion-MNIST, folder-per-class images, seeded stratified splits. */
export { loadDataset, DEFAULT_TEST_FRACTION, type DatasetSpec, type LoadedDataset } from './loadDataset.js';
export { readFashionMnistSplit, FASHION_MNIST_CLASSES, FASHION_MNIST_DEFAULT_ROOT } from './fashionMnist.js';
export { loadFolderDataset, loadFolderDatasetParallel, listFolderDataset, type FolderDataset, type FolderDatasetOptions } from './folderDataset.js';
export { stratifiedSplit, samplePerClass, type SplitIndices } from './split.js';
export { parseIdx, type IdxArray } from './idx.js';
export { decodeImage, imageFormat, type DecodedImage } from './decodeImage.js';
export { resizeCenterCrop, resampleCrop } from './resize.js';
export { selectImages, bytesPerImageRaw, type ImageSet } from './imageSet.js';
